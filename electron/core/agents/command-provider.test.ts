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
  // Prints its environment.
  await fs.writeFile(script('env.js'), `process.stdout.write(JSON.stringify(process.env));`);
  // Starts a grandchild that ignores SIGTERM (both write their pids), then ignores SIGTERM itself.
  await fs.writeFile(
    script('family.js'),
    `const fs = require('node:fs');
const { spawn } = require('node:child_process');
const grandchild = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); require('node:fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);", process.argv[3]], { stdio: 'ignore' });
fs.writeFileSync(process.argv[2], String(process.pid));
process.on('SIGTERM', () => {});
setInterval(() => {}, 1000);`,
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

  it('reports a non-zero exit with the code, the end of stderr in the log only, not in the chat', async () => {
    const provider = new CommandProvider({ command: node, args: [script('fail.js')] });
    const err = await collectText(provider.stream(request('x'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as Error).message).toMatch(/exited with code 3: x+boom: bad input$/);
    expect((err as Error).message.length).toBeLessThan(2300);
    expect((err as AgentError).userMessage).toMatch(/exited with code 3/);
    expect((err as AgentError).userMessage).not.toContain('boom');
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

  it("gives the program a minimal environment plus its own env map, never Kocoro's secrets", async () => {
    process.env.KOCORO_TEST_APP_SECRET = 'secret-from-kocoro-env-0001';
    try {
      const provider = new CommandProvider({ command: node, args: [script('env.js')], env: { MY_SETTING: 'on' } });
      const env = JSON.parse(await collectText(provider.stream(request('x')))) as Record<string, string>;
      expect(env.KOCORO_TEST_APP_SECRET).toBeUndefined();
      expect(JSON.stringify(env)).not.toContain('secret-from-kocoro-env-0001');
      expect(env.MY_SETTING).toBe('on');
      expect(env.PATH).toBe(process.env.PATH);
      expect(Object.keys(env).filter((k) => !['PATH', 'HOME', 'LANG', 'TMPDIR', 'MY_SETTING'].includes(k))).toEqual([]);
    } finally {
      delete process.env.KOCORO_TEST_APP_SECRET;
    }
  });

  it('ends the program and the grandchild it started, both ignoring SIGTERM, after its time limit; the run waits for them', async () => {
    const [childPid, grandchildPid] = [script('family.pid'), script('grandchild.pid')];
    const provider = new CommandProvider({
      command: node,
      args: [script('family.js'), childPid, grandchildPid],
      timeoutSec: 1,
      killGraceMs: 300,
    });
    const err = await collectText(provider.stream(request('x'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    // By the time the run has ended, nothing it started is left.
    expect(alive(Number(await fs.readFile(childPid, 'utf8')))).toBe(false);
    expect(alive(Number(await fs.readFile(grandchildPid, 'utf8')))).toBe(false);
  });

  it('ends what a program left running when it exits', async () => {
    const grandchildPid = script('orphan.pid');
    const orphan = `require('node:child_process').spawn(process.execPath, ['-e', "require('node:fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);", process.argv[1]], { stdio: 'inherit' }); setTimeout(() => process.exit(0), 200);`;
    const provider = new CommandProvider({ command: node, args: ['-e', orphan, grandchildPid], killGraceMs: 300 });
    await collectText(provider.stream(request('x')));
    expect(alive(Number(await fs.readFile(grandchildPid, 'utf8')))).toBe(false);
  });

  it('refuses chat text starting with "-" as an argument of its own, unless "--" ends the options before it', async () => {
    const refused = new CommandProvider({ command: node, args: [script('echo.js'), '{message}'], input: 'arg' });
    const err = await collectText(refused.stream(request('--output=/etc/passwd'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).notice.key).toBe('program.optionLikeMessage');
    const afterDashes = new CommandProvider({ command: node, args: [script('echo.js'), '--', '{message}'], input: 'arg' });
    expect(await collectText(afterDashes.stream(request('-rf /')))).toContain(`args=${JSON.stringify(['--', '-rf /'])}`);
    // Inside an argument (after a prefix) it is no option.
    const embedded = new CommandProvider({ command: node, args: [script('echo.js'), '--prompt={message}'], input: 'arg' });
    expect(await collectText(embedded.stream(request('-x')))).toContain('--prompt=-x');
  });

  it('expands ~ in paths', () => {
    expect(expandHome('~/work')).toBe(path.join(os.homedir(), 'work'));
    expect(expandHome('/abs')).toBe('/abs');
  });
});
