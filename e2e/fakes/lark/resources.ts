import { apiError } from './http-util.js';
import type { HttpReply } from './http-util.js';
import type { FakeResourceInput } from './types.js';

const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;
/** lark/README.md §5.8: stickers, merge-forward and card messages have no downloadable resources (234043). */
const UNSUPPORTED_MSG_TYPES = new Set(['sticker', 'merge_forward', 'interactive']);

/** Binaries attached to received messages, served by lark/README.md §5.8. A key belongs to one message. */
export class ResourceStore {
  private readonly items = new Map<string, FakeResourceInput>();

  add(messageId: string, fileKey: string, resource: FakeResourceInput): void {
    this.items.set(`${messageId}\n${fileKey}`, resource);
  }

  /** `msgType` of the message when the fake knows it. */
  download(messageId: string, fileKey: string, type: string | undefined, msgType: string | undefined): HttpReply {
    if (type !== 'image' && type !== 'file') return apiError(234001, 'Invalid request param: type must be image or file.');
    if (msgType !== undefined && UNSUPPORTED_MSG_TYPES.has(msgType)) return apiError(234043, 'Unsupported message type.');
    const item = this.items.get(`${messageId}\n${fileKey}`);
    if (!item) return apiError(234003, 'File not in msg.');
    // `type=image` is for images (also inside posts), `type=file` for file/audio/video; a mismatch is a bad param.
    if (item.type !== type) return apiError(234001, `Invalid request param: resource ${fileKey} is of type ${item.type}.`);
    if ((item.size ?? item.bytes.byteLength) > MAX_DOWNLOAD_BYTES) return apiError(234037, 'Downloaded file size exceeds limit.');
    const headers: Record<string, string> = { 'content-type': item.contentType };
    if (item.fileName !== undefined) headers['content-disposition'] = contentDisposition(item.fileName);
    return { status: 200, body: item.bytes, headers };
  }
}

/** ASCII fallback plus RFC 5987 `filename*` so non-ASCII names survive. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
