import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandProvider, commandHealth, expandHome } from './command-provider';
import { AgentError, type AgentContext, type AgentRequest, collectText } from './provider';

let dir: string;
const node = process.execPath;
const script = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-command-'));
  // Echoes its arguments as JSON, then stdin, in several writes.
  await fs.writeFile(
    script('echo.js'),
    `let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const parts = ['args=' + JSON.stringify(process.argv.slice(2)), ' cwd=' + process.cwd(), ' stdin=' + input];
  for (const p of parts) { process.stdout.write(p); await new Promise((r) => setTimeout(r, 10)); }
});`,
  );
  // Writes a multi-byte character split across two writes, then a pid file, then runs forever.
  await fs.writeFile(
    script('slow.js'),
    `const fs = require('node:fs');
fs.writeFileSync(process.argv[2], String(process.pid));
const euro = Buffer.from('€');
process.stdout.write(euro.subarray(0, 1));
setTimeout(() => process.stdout.write(euro.subarray(1)), 20);
setInterval(() => process.stdout.write('.'), 20);`,
  );
  await fs.writeFile(
    script('fail.js'),
    `process.stdout.write('partial'); process.stderr.write('x'.repeat(5000) + 'boom: bad input'); process.exit(3);`,
  );
  await fs.writeFile(
    script('stubborn.js'),
    `const fs = require('node:fs'); fs.writeFileSync(process.argv[2], String(process.pid)); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`,
  );
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const context: AgentContext = {
  platform: 'feishu',
  botId: 'b',
  chatId: 'oc_1',
  chatType: 'group',
  senderOpenId: 'ou_7',
  threadId: 'omt_3',
};
const request = (text: string, signal = new AbortController().signal): AgentRequest => ({
  turns: [{ role: 'user', text }],
  context,
  signal,
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CommandProvider', () => {
  it('streams stdout, sends the message on stdin and replaces placeholders per argument', async () => {
    const provider = new CommandProvider({
      command: node,
      args: [script('echo.js'), '--chat={chat_id}', '{sender}', '{thread_id}', '{platform}'],
      cwd: dir,
    });
    const chunks: string[] = [];
    for await (const c of provider.stream(request('hello\nworld'))) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(1);
    const realDir = await fs.realpath(dir);
    expect(chunks.join('')).toBe(`args=${JSON.stringify(['--chat=oc_1', 'ou_7', 'omt_3', 'feishu'])} cwd=${realDir} stdin=hello\nworld`);
  });

  it('passes the message as an argument in arg mode, literally (no shell)', async () => {
    const provider = new CommandProvider({ command: node, args: [script('echo.js'), '{message}'], input: 'arg' });
    const message = 'hi; rm -rf ~ && echo $(whoami) `id` | cat > /tmp/x "quoted" \'single\'';
    const text = await collectText(provider.stream(request(message)));
    expect(text).toContain(`args=${JSON.stringify([message])}`);
    expect(text).toMatch(/stdin=$/);
  });

  it('reports a non-zero exit with the code and the end of stderr', async () => {
    const provider = new CommandProvider({ command: node, args: [script('fail.js')] });
    const err = await collectText(provider.stream(request('x'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as Error).message).toMatch(/exited with code 3: x+boom: bad input$/);
    expect((err as Error).message.length).toBeLessThan(2300);
    expect((err as AgentError).userMessage).toMatch(/code 3.*boom: bad input/);
  });

  it('reports a missing program', async () => {
    const missing = path.join(dir, 'no-such-agent');
    const provider = new CommandProvider({ command: missing });
    const err = await collectText(provider.stream(request('x'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as Error).message).toBe(`program not found: ${missing}`);
    expect(await commandHealth({ command: missing })).toMatchObject({ ok: false });
    expect(await commandHealth({ command: node })).toMatchObject({ ok: true });
  });

  it('kills the program on Stop, decoding UTF-8 split across chunks', async () => {
    const pidFile = script('slow.pid');
    const provider = new CommandProvider({ command: node, args: [script('slow.js'), pidFile] });
    const controller = new AbortController();
    let text = '';
    const running = (async () => {
      for await (const c of provider.stream(request('x', controller.signal))) {
        text += c;
        if (text.length >= 4) controller.abort();
      }
    })();
    await expect(running).rejects.toThrow();
    expect(text.startsWith('€')).toBe(true);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    await expect.poll(() => alive(pid)).toBe(false);
  });

  it('kills a program that outlives its time limit, with SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = script('stubborn.pid');
    const provider = new CommandProvider({ command: node, args: [script('stubborn.js'), pidFile], timeoutSec: 1, killGraceMs: 300 });
    const started = Date.now();
    const err = await collectText(provider.stream(request('x'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as Error).message).toMatch(/did not finish within 1 s/);
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    await expect.poll(() => alive(pid), { timeout: 3000 }).toBe(false);
  });

  it('expands ~ in paths', () => {
    expect(expandHome('~/work')).toBe(path.join(os.homedir(), 'work'));
    expect(expandHome('/abs')).toBe('/abs');
  });
});
