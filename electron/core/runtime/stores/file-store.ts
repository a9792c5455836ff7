import { promises as fs } from 'node:fs';
import path from 'node:path';
import { settingOf } from '@shared/bot-settings';
import type { BotConfig } from '@shared/config-schema';
import type { Logger } from '../../log/logger';
import { ensurePrivateDir } from '../../store/private-files';
import type { SaveResult } from '../../lark/attachments';

/** How much a bot keeps of the files people send it, and for how long (README "Files"). */
export interface FilePolicy {
  quotaBytes: number;
  retentionDays: number;
}

/** A bot's `files` settings, defaults filled in (shared/bot-settings.ts). */
export function filePolicy(bot: Pick<BotConfig, 'files'>): FilePolicy {
  const { quotaMb, retentionDays } = settingOf(bot, 'files');
  return { quotaBytes: quotaMb * 1024 * 1024, retentionDays };
}

/** A path component may be 255 bytes on common file systems; room is left for the `.part` of a download. */
export const MAX_NAME_BYTES = 240;

export type { SaveResult };

/**
 * The files one bot keeps: `<files>/<message id>/<name>`, private to the user. Anyone who may DM
 * the bot can send files, so what is kept is bounded: folders older than the retention are
 * removed, and when a new file would pass the quota the oldest folders go first. A file larger
 * than the whole quota is not kept. A download that fails half-way leaves nothing behind.
 */
export class BotFileStore {
  /**
   * Saves and prunes run one at a time: each counts what is on disk before it writes, so two at
   * once would both see room for themselves (12 files of 19 MB arriving together under a 30 MB
   * quota all fit, to each).
   */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly policy: FilePolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  save(messageId: string, name: string, fallbackName: string, bytes: Buffer): Promise<SaveResult> {
    return this.inTurn(() => this.saveNow(messageId, name, fallbackName, bytes));
  }

  /** Removes what is past the retention, then the oldest folders until `incoming` more bytes fit the quota. */
  prune(incoming = 0): Promise<void> {
    return this.inTurn(() => this.pruneNow(incoming));
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async saveNow(messageId: string, name: string, fallbackName: string, bytes: Buffer): Promise<SaveResult> {
    if (bytes.byteLength > this.policy.quotaBytes) return { ok: false, reason: 'quota', quotaBytes: this.policy.quotaBytes };
    await this.pruneNow(bytes.byteLength);
    const folder = path.join(this.dir, safeFileName(messageId, 'message'));
    await ensurePrivateDir(folder);
    const file = path.join(folder, safeFileName(name, safeFileName(fallbackName, 'file')));
    const tmp = `${file}.part`;
    try {
      await fs.writeFile(tmp, bytes, { mode: 0o600 });
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return { ok: true, file };
  }

  private async pruneNow(incoming: number): Promise<void> {
    const folders = await this.folders();
    const cutoff = this.now() - this.policy.retentionDays * 24 * 3600 * 1000;
    let total = folders.reduce((sum, f) => sum + f.bytes, 0);
    for (const folder of folders) {
      const expired = folder.at < cutoff;
      if (!expired && total + incoming <= this.policy.quotaBytes) continue;
      await fs.rm(folder.path, { recursive: true, force: true });
      total -= folder.bytes;
      this.log.log('info', 'attachment.removed', {
        folder: path.basename(folder.path),
        bytes: folder.bytes,
        why: expired ? 'retention' : 'quota',
      });
    }
  }

  /** Message folders, oldest first, with their size and when they were written. */
  private async folders(): Promise<Array<{ path: string; at: number; bytes: number }>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: Array<{ path: string; at: number; bytes: number }> = [];
    for (const name of names) {
      const full = path.join(this.dir, name);
      const stat = await fs.stat(full).catch(() => undefined);
      if (!stat?.isDirectory()) continue;
      let bytes = 0;
      let at = stat.mtimeMs;
      for (const file of await fs.readdir(full)) {
        const s = await fs.stat(path.join(full, file)).catch(() => undefined);
        if (!s?.isFile()) continue;
        bytes += s.size;
        at = Math.max(at, s.mtimeMs);
      }
      out.push({ path: full, at, bytes });
    }
    return out.sort((a, b) => a.at - b.at);
  }
}

/**
 * A name that stays inside its folder on every OS: no separators, control or reserved characters,
 * no leading dots, and at most MAX_NAME_BYTES of UTF-8 (cut between characters, the extension
 * kept), so a long Chinese name fits where 120 characters would be 360 bytes.
 */
export function safeFileName(name: string, fallback: string): string {
  let safe = (name.split(/[/\\]/).pop() ?? '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\p{Cc}/gu, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(safe)) safe = `_${safe}`;
  if (!safe) return fallback;
  if (Buffer.byteLength(safe, 'utf8') <= MAX_NAME_BYTES) return safe;
  const ext = path.extname(safe);
  const keepExt = Buffer.byteLength(ext, 'utf8') <= 32 ? ext : '';
  const stem = keepExt ? safe.slice(0, -keepExt.length) : safe;
  return cutToBytes(stem, MAX_NAME_BYTES - Buffer.byteLength(keepExt, 'utf8')).trimEnd() + keepExt;
}

/** The longest prefix of `text` within `max` UTF-8 bytes, never splitting a character. */
export function cutToBytes(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > max) break;
    bytes += b;
    end += ch.length;
  }
  return text.slice(0, end);
}
