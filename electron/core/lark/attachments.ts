import type * as lark from '@larksuiteoapi/node-sdk';
import type { AgentImage } from '../agents/provider';
import type { LarkApi } from './api';
import { toLarkApiError } from './errors';
import type { ChatTextKey } from '../i18n/chat-text';
import type { Logger } from '../log/logger';

/** Where a file people sent is kept, for agents that open local files (the bot's file store implements it). */
export interface FileKeeper {
  save(messageId: string, name: string, fallbackName: string, bytes: Buffer): Promise<SaveResult>;
}
export type SaveResult = { ok: true; file: string } | { ok: false; reason: 'quota'; quotaBytes: number };

/** Files larger than this are not downloaded (the agent is told so). Images are held to it too. */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export interface AttachmentContext {
  api: LarkApi;
  messageId: string;
  /** Whether the agent can look at images; when not, images are not downloaded. */
  acceptsImages: boolean;
  /** Where this bot keeps downloaded files; absent when the agent cannot open local files (nothing is downloaded). */
  files: FileKeeper | undefined;
  /** Tells the chat, below the answer, that a file was not kept and why (in the bot's language). */
  notice: (key: ChatTextKey, params: Record<string, string>) => void;
  logger: Logger;
  maxBytes?: number;
}

export interface ResolvedAttachments {
  /** The message for the agent, every attachment replaced by what was done with it. */
  text: string;
  /** The same for the conversation memory, which keeps no images. */
  memoryText: string;
  images: AgentImage[];
}

/**
 * Turns what the SDK's `normalize()` left as placeholders for attachments (`![image](key)`,
 * `<file …/>`, `<audio …/>`, …) into something the agent can use: images downloaded and attached,
 * files saved to the bot's data folder and named with their path, everything it cannot use
 * described in a sentence. Never throws: a failed download becomes a sentence saying so.
 */
export async function resolveAttachments(
  normalized: lark.NormalizedMessage,
  rawContent: string,
  ctx: AttachmentContext,
): Promise<ResolvedAttachments> {
  let text = describeMessageType(normalized.content, normalized.rawContentType, rawContent);
  let memoryText = text;
  const images: AgentImage[] = [];
  const seen = new Set<string>();
  for (const resource of normalized.resources) {
    if (seen.has(resource.fileKey)) continue;
    seen.add(resource.fileKey);
    const placeholder = placeholderFor(resource);
    let live: string;
    let memory: string;
    try {
      ({ live, memory } = await handle(resource, ctx, images));
    } catch (err) {
      const why = reasonOf(err);
      ctx.logger.log('warn', 'attachment.failed', { messageId: ctx.messageId, type: resource.type, error: why });
      if (resource.type === 'file') ctx.notice('file.notKept.failed', { name: resource.fileName || resource.fileKey });
      live = memory = `[The user sent ${nameOf(resource)}, but it could not be fetched: ${why}.]`;
    }
    text = replacePlaceholder(text, placeholder, live);
    memoryText = replacePlaceholder(memoryText, placeholder, memory);
  }
  return { text, memoryText, images };
}

/**
 * An attachment in words without fetching anything: for quoted messages and message previews.
 */
export function describeAttachmentsBriefly(normalized: lark.NormalizedMessage, rawContent: string): string {
  let text = describeMessageType(normalized.content, normalized.rawContentType, rawContent);
  for (const resource of normalized.resources) text = replacePlaceholder(text, placeholderFor(resource), `[${nameOf(resource)}]`);
  return text;
}

async function handle(
  resource: lark.ResourceDescriptor,
  ctx: AttachmentContext,
  images: AgentImage[],
): Promise<{ live: string; memory: string }> {
  const max = ctx.maxBytes ?? MAX_ATTACHMENT_BYTES;
  switch (resource.type) {
    case 'image': {
      if (!ctx.acceptsImages) {
        const s = '[The user sent an image, which this agent cannot see.]';
        return { live: s, memory: s };
      }
      const got = await ctx.api.downloadResource(ctx.messageId, resource.fileKey, 'image', max);
      if (got.tooLarge) {
        const s = `[The user sent an image${sizeText(got.size)} that is over the ${mb(max)} limit, so it was not passed on.]`;
        return { live: s, memory: s };
      }
      images.push({ mimeType: imageMimeType(got.bytes, got.contentType), dataBase64: got.bytes.toString('base64') });
      return { live: `[Image ${images.length}, attached.]`, memory: '[The user sent an image (not kept in the conversation history).]' };
    }
    case 'file': {
      const name = resource.fileName || resource.fileKey;
      if (!ctx.files) {
        // Only agents that open local files get them: nothing is downloaded for the others.
        ctx.notice('file.notKept.agentCannotOpen', { name });
        const s = `[The user sent the file "${name}", which this agent cannot open, so it was not downloaded.]`;
        return { live: s, memory: s };
      }
      const got = await ctx.api.downloadResource(ctx.messageId, resource.fileKey, 'file', max);
      if (got.tooLarge) {
        const s = `[The user sent the file "${name}"${sizeText(got.size)}, which is over the ${mb(max)} limit and was not downloaded.]`;
        ctx.logger.log('info', 'attachment.too_large', { messageId: ctx.messageId, size: got.size, limit: max });
        ctx.notice('file.notKept.tooLarge', { name, limit: mb(max) });
        return { live: s, memory: s };
      }
      const saved = await ctx.files.save(ctx.messageId, name, resource.fileKey, got.bytes);
      if (!saved.ok) {
        ctx.logger.log('info', 'attachment.over_quota', { messageId: ctx.messageId, bytes: got.bytes.byteLength, quota: saved.quotaBytes });
        ctx.notice('file.notKept.quota', { name, quota: mb(saved.quotaBytes) });
        const s = `[The user sent the file "${name}" (${humanSize(got.bytes.byteLength)}), which is larger than this bot keeps (${mb(saved.quotaBytes)}), so it was not kept.]`;
        return { live: s, memory: s };
      }
      ctx.logger.log('info', 'attachment.saved', { messageId: ctx.messageId, bytes: got.bytes.byteLength });
      const s = `[The user sent the file "${name}" (${humanSize(got.bytes.byteLength)}), saved at ${saved.file}]`;
      return { live: s, memory: s };
    }
    case 'audio': {
      const s = `[The user sent a voice message${durationText(resource.durationMs)}, which this agent cannot hear.]`;
      return { live: s, memory: s };
    }
    case 'video': {
      const s = `[The user sent a video${resource.fileName ? ` "${resource.fileName}"` : ''}${durationText(resource.durationMs)}, which this agent cannot watch.]`;
      return { live: s, memory: s };
    }
    case 'sticker': {
      const s = '[The user sent a sticker.]';
      return { live: s, memory: s };
    }
  }
}

/** Messages with no resources that the agent still needs to know the kind of. */
function describeMessageType(content: string, type: string, rawContent: string): string {
  switch (type) {
    case 'interactive': {
      const cardText = content === '[interactive card]' ? simplifiedCardText(rawContent) : content;
      return cardText ? `[The user sent a card with this text:]\n${cardText}` : '[The user sent a card, whose content is not available.]';
    }
    case 'merge_forward':
      return content.trim() === '<forwarded_messages/>'
        ? '[The user forwarded a bundle of chat messages (merged forward), whose content is not available to this agent.]'
        : `[The user forwarded these messages:]\n${content}`;
    default:
      break;
  }
  if (content === '[unsupported message]') return `[The user sent a message of type "${type}", which this agent cannot read.]`;
  return content.replace(
    /<folder key="[^"]*"(?: name="([^"]*)")?\/>/g,
    (_m, name?: string) => `[The user shared a folder${name ? ` "${unescapeAttr(name)}"` : ''}, which cannot be downloaded.]`,
  );
}

/**
 * The text of a card as messages carry it, simplified to `{title, elements: [[{tag, text}]]}`
 * (lark/README.md §3.3), which the SDK's card walker does not read: one line per row.
 */
function simplifiedCardText(rawContent: string): string {
  let card: { title?: unknown; elements?: unknown };
  try {
    card = JSON.parse(rawContent) as typeof card;
  } catch {
    return '';
  }
  const lines: string[] = [];
  if (typeof card.title === 'string' && card.title.trim()) lines.push(`**${card.title.trim()}**`);
  for (const row of Array.isArray(card.elements) ? card.elements : []) {
    const texts = (Array.isArray(row) ? row : [row])
      .map((el: { text?: unknown; content?: unknown }) =>
        typeof el?.text === 'string' ? el.text : typeof el?.content === 'string' ? el.content : '',
      )
      .filter((t: string) => t.trim());
    if (texts.length > 0) lines.push(texts.join(' '));
  }
  return lines.join('\n');
}

function placeholderFor(resource: lark.ResourceDescriptor): RegExp {
  const key = escapeRegExp(resource.fileKey);
  switch (resource.type) {
    case 'image':
      return new RegExp(`!\\[image\\]\\(${key}\\)`, 'g');
    case 'file':
      return new RegExp(`<file key="${key}"[^>]*/>`, 'g');
    case 'audio':
      return new RegExp(`<audio key="${key}"[^>]*/>`, 'g');
    case 'video':
      return new RegExp(`<video key="${key}"[^>]*/>`, 'g');
    case 'sticker':
      return new RegExp(`<sticker key="${key}"[^>]*/>`, 'g');
  }
}

function replacePlaceholder(text: string, placeholder: RegExp, replacement: string): string {
  return text.replace(placeholder, () => replacement);
}

function nameOf(resource: lark.ResourceDescriptor): string {
  switch (resource.type) {
    case 'image':
      return 'an image';
    case 'file':
      return resource.fileName ? `the file "${resource.fileName}"` : 'a file';
    case 'audio':
      return 'a voice message';
    case 'video':
      return 'a video';
    case 'sticker':
      return 'a sticker';
  }
}

function reasonOf(err: unknown): string {
  // A file system error is this computer's, not the platform's.
  const local = err as NodeJS.ErrnoException | undefined;
  if (local?.code === 'ENOSPC') return 'the disk is full';
  if (local?.code === 'ENAMETOOLONG') return 'its name is too long to be saved on this computer';
  if (typeof local?.code === 'string' && typeof local.syscall === 'string') return `it could not be saved on this computer (${local.code})`;
  const e = toLarkApiError(err);
  if (e.networkCause) return `the Open Platform could not be reached (${e.networkCause})`;
  if (e.code === 234037) return 'it is larger than the platform allows downloading (100 MB)';
  if (e.code !== undefined) return `the platform refused (code ${e.code}: ${e.platformMessage.replace(/\.$/, '')})`;
  return e.platformMessage.replace(/\.$/, '');
}

/** The header's type when it is an image type, else what the bytes say (the platform may send octet-stream). */
function imageMimeType(bytes: Buffer, header: string): string {
  const declared = header.split(';')[0]!.trim().toLowerCase();
  if (declared.startsWith('image/')) return declared;
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'image/png';
}

function durationText(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return '';
  return ` (${Math.max(1, Math.round(ms / 1000))} s)`;
}

function sizeText(bytes: number | undefined): string {
  return bytes === undefined ? '' : ` (${humanSize(bytes)})`;
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function unescapeAttr(s: string): string {
  return s.replace(/&quot;/g, '"');
}
