import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BotFileStore, MAX_NAME_BYTES } from '@core/runtime/stores/file-store';
import { MemoryLogger } from '../../support/memory-logger';
import { messageContent, newFileKey } from '../../fakes/lark';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const MB = 1024 * 1024;

async function sendFile(name: string, bytes: Buffer): Promise<{ messageId: string; reply: string; fileKey: string }> {
  const fileKey = newFileKey();
  const before = h!.events('reply.sent').length;
  const { messageId } = h!.lark.pushMessage(APP.appId, {
    chatType: 'p2p',
    messageType: 'file',
    content: messageContent.file(fileKey, name),
    resources: [{ fileKey, type: 'file', bytes, contentType: 'application/octet-stream', fileName: name }],
  });
  await h!.waitForEvent('reply.sent', before + 1);
  const [reply] = h!.lark.sentMessages({ replyTo: messageId });
  return { messageId, reply: postText(reply!.content), fileKey };
}

const filesDir = () => path.join(h!.dataDir, 'bots', 'team-bot', 'files');

/** Every folder and file under `root` whose mode is not private (0700 / 0600). */
async function notPrivate(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    if (((await fs.stat(d)).mode & 0o777) !== 0o700) out.push(`${d} ${((await fs.stat(d)).mode & 0o777).toString(8)}`);
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (((await fs.stat(full)).mode & 0o777) !== 0o600) out.push(`${full} ${((await fs.stat(full)).mode & 0o777).toString(8)}`);
    }
  };
  await walk(root);
  return out;
}

describe.skipIf(process.platform === 'win32')('the data folder is private to the user', () => {
  it('writes every folder 0700 and every file 0600: inbox, dedupe, conversations, files', async () => {
    h = await RuntimeHarness.create();
    await fs.chmod(h.dataDir, 0o755); // as a data folder made by hand, or by an older version
    await h.start(h.config([h.bot({ agentId: 'program' })]));
    await h.lark.waitForConnections(APP.appId);
    await sendFile('notes.txt', Buffer.from('private'));
    expect(await fs.readdir(path.join(h.dataDir, 'bots', 'team-bot'))).toEqual(
      expect.arrayContaining(['conversations', 'dedupe.jsonl', 'files', 'inbox']),
    );
    expect(await notPrivate(path.join(h.dataDir, 'bots'))).toEqual([]);
  });
});

describe('files people send: kept only when useful, and never without bound', () => {
  it('an agent that cannot open local files gets no download, and the chat is told the file was not kept', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'model' })]));
    await h.lark.waitForConnections(APP.appId);
    const { reply, fileKey } = await sendFile('report.pdf', Buffer.from('%PDF-1.7 …'));
    expect(h.lark.requests({ path: new RegExp(`/resources/${fileKey}$`) })).toHaveLength(0);
    expect(JSON.stringify(h.model.requests[0]!.messages.at(-1))).toContain('which this agent cannot open, so it was not downloaded');
    expect(reply).toMatch(/\n\n_The file "report\.pdf" was not kept: this agent cannot open files\._$/);
    await expect(fs.readdir(filesDir())).rejects.toThrow();
  });

  it('keeps files within the bot quota, the oldest removed first, and refuses one larger than the whole quota', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'program', files: { quotaMb: 1 } })]));
    await h.lark.waitForConnections(APP.appId);
    const first = await sendFile('first.bin', Buffer.alloc(0.6 * MB, 1));
    const second = await sendFile('second.bin', Buffer.alloc(0.6 * MB, 2));
    expect(await fs.readdir(filesDir())).toEqual([second.messageId]);
    expect(h.events('attachment.removed')).toEqual([expect.objectContaining({ folder: first.messageId, why: 'quota' })]);
    const huge = await sendFile('huge.bin', Buffer.alloc(1.5 * MB, 3));
    expect(huge.reply).toContain('which is larger than this bot keeps (1 MB), so it was not kept.]');
    expect(huge.reply).toMatch(/_The file "huge\.bin" was not kept: it is larger than this bot keeps \(1 MB\)\._$/);
    expect(await fs.readdir(filesDir())).toEqual([second.messageId]);
  });

  it('removes files past the retention when the bot starts', async () => {
    h = await RuntimeHarness.create();
    const old = path.join(h.dataDir, 'bots', 'team-bot', 'files', 'om_old');
    await fs.mkdir(old, { recursive: true });
    await fs.writeFile(path.join(old, 'notes.txt'), 'old');
    const longAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    await fs.utimes(path.join(old, 'notes.txt'), longAgo, longAgo);
    await fs.utimes(old, longAgo, longAgo);
    await h.start(h.config([h.bot({ agentId: 'program', files: { retentionDays: 7 } })]));
    await h.lark.waitForConnections(APP.appId);
    await expect(fs.stat(old)).rejects.toThrow();
    expect(h.events('attachment.removed')).toEqual([expect.objectContaining({ folder: 'om_old', why: 'retention' })]);
  });

  it('saves a file with a 106-character Chinese name: the name cut to fit the file system between characters, extension kept, bytes intact', async () => {
    h = await RuntimeHarness.create();
    await h.start(h.config([h.bot({ agentId: 'program' })]));
    await h.lark.waitForConnections(APP.appId);
    const name = `${'季度销售报告与预算分析'.repeat(9)}附录与说明材料.xlsx`;
    expect([...name.replace('.xlsx', '')]).toHaveLength(106);
    const bytes = Buffer.from('PK… spreadsheet bytes');
    const { messageId, reply } = await sendFile(name, bytes);
    const [saved] = await fs.readdir(path.join(filesDir(), messageId));
    expect(Buffer.byteLength(saved!, 'utf8')).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(saved!.endsWith('.xlsx')).toBe(true);
    expect(name.startsWith(saved!.replace('.xlsx', ''))).toBe(true);
    expect(saved).not.toContain('\uFFFD');
    expect(await fs.readFile(path.join(filesDir(), messageId, saved!))).toEqual(bytes);
    // The agent is told the name the person gave it, and where it is.
    expect(reply).toContain(`[The user sent the file "${name}"`);
    expect(reply).toContain(path.join(filesDir(), messageId, saved!));
  });

  it("tells the agent a failed save is this computer's problem, not the platform's", async () => {
    h = await RuntimeHarness.create();
    await fs.mkdir(path.join(h.dataDir, 'bots', 'team-bot'), { recursive: true });
    await fs.writeFile(filesDir(), 'not a folder');
    await h.start(h.config([h.bot({ agentId: 'program' })]));
    await h.lark.waitForConnections(APP.appId);
    const { reply } = await sendFile('notes.txt', Buffer.from('hello'));
    expect(reply).toMatch(/could not be fetched: it could not be saved on this computer \(E[A-Z]+\)/);
    expect(reply).not.toContain('Open Platform');
  });

  it('keeps within the quota when many files arrive at once: 12 × 19 MB under 30 MB', async () => {
    const files = (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-files-')));
    const store = new BotFileStore(files, { quotaBytes: 30 * MB, retentionDays: 30 }, new MemoryLogger());
    const file = Buffer.alloc(19 * MB, 7);
    const onDisk = async () => {
      let total = 0;
      for (const folder of await fs.readdir(files))
        for (const name of await fs.readdir(path.join(files, folder))) total += (await fs.stat(path.join(files, folder, name))).size;
      return total;
    };
    let most = 0;
    let saving = true;
    const watch = (async () => {
      while (saving) {
        most = Math.max(most, await onDisk().catch(() => 0));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.save(`om_${i}`, `scan-${i}.pdf`, 'file_key', file)));
    saving = false;
    await watch;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await onDisk()).toBe(19 * MB);
    // Counted while they were written too: room is made before a file is written, never after.
    expect(most).toBeLessThanOrEqual(30 * MB);
  });

  it('leaves no partial file behind when a save fails', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-files-'));
    const store = new BotFileStore(dir, { quotaBytes: 10 * MB, retentionDays: 30 }, new MemoryLogger());
    // Something already sits where the file would go: the final rename fails.
    await fs.mkdir(path.join(dir, 'om_1', 'report.csv', 'x'), { recursive: true });
    const failed = await store.save('om_1', 'report.csv', 'file_key', Buffer.from('1,2,3')).catch((e: unknown) => e);
    expect((failed as NodeJS.ErrnoException).syscall).toBe('rename');
    expect(await fs.readdir(path.join(dir, 'om_1'))).toEqual(['report.csv']);
  });
});
