import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Impostor } from '@e2e/fakes/kocoro/impostor';
import { FakeKocoro, writeDaemonPidFile } from '@e2e/fakes/kocoro/server';
import { proveDaemon } from './daemon-identity';
import { KocoroProvider, kocoroHealth } from './kocoro-provider';
import { AgentError, collectText, type AgentRequest } from './provider';

// Real sockets on loopback and real pid files; the OS is read as it is (Linux /proc here).
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const uid = process.getuid?.();

let fake: FakeKocoro | undefined;
let impostor: Impostor | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  await impostor?.close();
  fake = impostor = undefined;
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function stateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shannon-'));
  dirs.push(dir);
  return dir;
}

const request = (text: string): AgentRequest => ({
  turns: [{ role: 'user', text }],
  context: { platform: 'lark', botId: 'b', chatId: 'oc_1', chatType: 'p2p', senderOpenId: 'ou_1' },
  signal: new AbortController().signal,
});

async function refusalFrom(url: string, dir: string): Promise<AgentError> {
  const err = await collectText(new KocoroProvider({ url, stateDir: dir, agent: 'a' }).stream(request('my secret plan'))).then(
    () => new Error('the message was sent'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

describe('a Kocoro daemon is told apart from another program on its port', () => {
  it('answers as before when the pid file names the process listening on the port, and Check says it is proven', async () => {
    fake = await FakeKocoro.start();
    expect(await proveDaemon({ url: fake.url, stateDir: fake.stateDir })).toEqual({ state: 'proven', pid: process.pid });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    expect(await collectText(provider.stream(request('hi')))).toBe('a says: hi');
    expect(await kocoroHealth({ url: fake.url, stateDir: fake.stateDir })).toEqual({
      ok: true,
      message: `proven: the Kocoro daemon (pid ${process.pid}), running at ${fake.url}`,
    });
  });

  it('answers all forty messages of a burst sent at once', async () => {
    fake = await FakeKocoro.start({ replyInDoneOnly: true });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    const texts = await Promise.all(Array.from({ length: 40 }, (_, i) => collectText(provider.stream(request(`m${i}`)))));
    expect(texts).toEqual(Array.from({ length: 40 }, (_, i) => `a says: m${i}`));
  });

  it('sends no message to a program on the port when there is no daemon pid file, and says so in the chat and in Check', async () => {
    impostor = await Impostor.start();
    const dir = await stateDir();
    const err = await refusalFrom(impostor.url, dir);
    const who = `pid ${impostor.pid}, uid ${uid}`;
    expect(err.notice).toEqual({ key: 'kocoro.notDaemon', params: { port: String(impostor.port), who } });
    expect(err.userMessage).toBe(
      `The program on port ${impostor.port} is not the Kocoro daemon (${who}); Kocoro did not send it the message.`,
    );
    expect(err.message).toContain(`there is no daemon pid file at ${path.join(dir, 'daemon.pid')}`);
    const check = await kocoroHealth({ url: impostor.url, stateDir: dir });
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(
      /^not the daemon: the program on port \d+ \(pid \d+, uid \d+\) is not the Kocoro daemon: there is no daemon pid file/,
    );
    expect(impostor.requests).toEqual([]);
  });

  it('sends no message to a program whose pid is not the one in the daemon pid file', async () => {
    impostor = await Impostor.start();
    const dir = await stateDir();
    // A daemon that crashed leaves its pid file: here it names a live process that is not listening.
    await writeDaemonPidFile(dir, process.pid);
    const err = await refusalFrom(impostor.url, dir);
    expect(err.notice).toMatchObject({ key: 'kocoro.notDaemon', params: { who: `pid ${impostor.pid}, uid ${uid}` } });
    expect(err.message).toContain(`daemon.pid names pid ${process.pid}`);
    expect((await kocoroHealth({ url: impostor.url, stateDir: dir })).message).toMatch(/^not the daemon: .* names pid \d+/);
    expect(impostor.requests).toEqual([]);
  });

  it.skipIf(!asRoot)(
    "sends no message to another user's program, even one the pid file names (needs root to be another user)",
    async () => {
      impostor = await Impostor.start({ uid: NOBODY });
      const dir = await stateDir();
      await writeDaemonPidFile(dir, impostor.pid);
      const err = await refusalFrom(impostor.url, dir);
      expect(err.notice).toEqual({
        key: 'kocoro.notDaemon',
        params: { port: String(impostor.port), who: `pid ${impostor.pid}, uid ${NOBODY}` },
      });
      expect(impostor.requests).toEqual([]);
    },
  );

  it('checks both loopback families for "localhost": a program on [::1] beside the daemon on 127.0.0.1 stops the messages', async () => {
    fake = await FakeKocoro.start();
    const port = Number(new URL(fake.url).port);
    impostor = await Impostor.start({ host: '::1', port });
    expect(await proveDaemon({ url: fake.url, stateDir: fake.stateDir })).toEqual({ state: 'proven', pid: process.pid });
    const err = await refusalFrom(`http://localhost:${port}`, fake.stateDir);
    expect(err.notice).toMatchObject({ key: 'kocoro.notDaemon', params: { who: `pid ${impostor.pid}, uid ${uid}` } });
    expect(impostor.requests).toEqual([]);
    expect(fake.messages).toEqual([]);
  });

  it('cannot prove anything from a pid file other users may write: nothing is sent, and Check says it cannot be proven', async () => {
    fake = await FakeKocoro.start();
    await fs.chmod(path.join(fake.stateDir, 'daemon.pid'), 0o666);
    const err = await refusalFrom(fake.url, fake.stateDir);
    expect(err.notice).toEqual({ key: 'kocoro.unproven', params: { port: new URL(fake.url).port } });
    const check = await kocoroHealth({ url: fake.url, stateDir: fake.stateDir });
    expect(check).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^cannot be proven: .*daemon\.pid can be written by other users \(mode 666\)/),
    });
    expect(fake.messages).toEqual([]);
  });

  it.skipIf(!asRoot)('cannot prove anything from a pid file of another user', async () => {
    fake = await FakeKocoro.start();
    await fs.chown(path.join(fake.stateDir, 'daemon.pid'), NOBODY, NOBODY);
    expect(await proveDaemon({ url: fake.url, stateDir: fake.stateDir })).toMatchObject({
      state: 'unproven',
      detail: expect.stringMatching(/belongs to uid 65534, not to this user/),
    });
    await refusalFrom(fake.url, fake.stateDir);
    expect(fake.messages).toEqual([]);
  });

  it('still says "not running" when nothing listens on the port', async () => {
    fake = await FakeKocoro.start();
    const { url, stateDir: dir } = fake;
    await fake.close();
    fake = undefined;
    const err = await refusalFrom(url, dir);
    expect(err.notice).toEqual({ key: 'kocoro.notRunning' });
    expect(await kocoroHealth({ url, stateDir: dir })).toMatchObject({ ok: false, message: expect.stringMatching(/not running/) });
  });

  it('does not look into a URL off this computer, and Check says who answers there cannot be proven', async () => {
    const url = 'http://192.0.2.10:7533';
    expect(await proveDaemon({ url })).toEqual({ state: 'remote' });
    const check = await kocoroHealth({ url }, AbortSignal.timeout(300));
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/^cannot be proven: http:\/\/192\.0\.2\.10:7533 is not on this computer/);
  });
});
