import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeLarkPlatform } from '../../fakes/lark';
import { FakeOpenAi } from '../../fakes/openai/server';
import { APP, APP2, postText } from '../../support/runtime-harness';
import { HeadlessProcess } from '../../support/headless-process';

let lark: FakeLarkPlatform;
let model: FakeOpenAi;
let dir: string;
const procs: HeadlessProcess[] = [];

beforeEach(async () => {
  lark = await FakeLarkPlatform.start({ apps: [APP, APP2] });
  model = await FakeOpenAi.start({ apiKey: 'sk-model-key-0042' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-headless-'));
});
afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.kill('SIGKILL');
      await p.exited;
    }
  }
  await lark.close();
  await model.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function writeConfig(config: object): Promise<string> {
  const file = path.join(dir, 'config.json');
  await fs.writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

function config(bots: object[] = [teamBot()]) {
  return {
    agents: [
      { id: 'echo', name: 'Echo', provider: { type: 'echo' } },
      {
        id: 'assistant',
        name: 'Assistant',
        provider: { type: 'openai', baseUrl: model.baseUrl, apiKey: 'env:TEST_MODEL_KEY', model: 'test' },
      },
    ],
    bots,
  };
}

function teamBot(overrides: object = {}) {
  return {
    id: 'team-bot',
    platform: 'feishu',
    appId: APP.appId,
    appSecret: 'env:TEST_APP_SECRET',
    agentId: 'assistant',
    domain: lark.url,
    replyMode: { dm: 'message', group: 'message' },
    ...overrides,
  };
}

const ENV = { TEST_APP_SECRET: APP.appSecret, TEST_MODEL_KEY: 'sk-model-key-0042' };

function start(configFile: string, env: NodeJS.ProcessEnv = ENV): HeadlessProcess {
  const p = HeadlessProcess.start(['--config', configFile, '--data-dir', path.join(dir, 'data')], env);
  procs.push(p);
  return p;
}

describe('npm run headless', () => {
  it('exits non-zero naming the bad field when the config is invalid', async () => {
    const file = await writeConfig(config([teamBot({ appId: 'cli_nothex' })]));
    const p = start(file);
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr).toMatch(/bots\[0\]\.appId: must look like cli_ followed by 16 hex characters/);
  });

  it('answers DMs, logs one JSON line per event and never prints a secret, while a bot with a wrong secret fails alone', async () => {
    const file = await writeConfig(
      config([
        teamBot(),
        { id: 'broken', platform: 'lark', appId: APP2.appId, appSecret: 'wrong-secret-value-999', agentId: 'echo', domain: lark.url },
      ]),
    );
    const p = start(file);
    await p.waitForLog('bot.connected', { bot: 'team-bot' });
    const failed = await p.waitForLog('bot.failed', { bot: 'broken' });
    expect(failed.reason).toMatch(/App ID or App Secret is wrong/);
    const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello from Feishu' });
    await p.waitForLog('reply.sent', { messageId: m.messageId });
    const [reply] = lark.sentMessages({ replyTo: m.messageId });
    expect(postText(reply!.content)).toBe('You said: hello from Feishu');
    const events = p.lines().map((l) => l.event);
    expect(events).toEqual(
      expect.arrayContaining(['runtime.starting', 'bot.connected', 'message.accepted', 'agent.answered', 'reply.sent', 'bot.failed']),
    );
    for (const secret of [APP.appSecret, 'wrong-secret-value-999', 'sk-model-key-0042']) expect(p.stdout + p.stderr).not.toContain(secret);
    expect(p.stdout).not.toMatch(/\bt-[A-Za-z0-9]{8,}/);
  });

  it('on SIGTERM stops taking messages, finishes the reply in flight and exits 0', async () => {
    model.options = { ...model.options, chunkChars: 2, chunkDelayMs: 150, reply: () => 'finishing my thought' };
    const p = start(await writeConfig(config()));
    await p.waitForLog('bot.connected');
    const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'long one' });
    await p.waitForLog('message.accepted', { messageId: m.messageId });
    p.kill('SIGTERM');
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(postText(lark.sentMessages({ replyTo: m.messageId })[0]!.content)).toBe('finishing my thought');
    expect(p.lines().find((l) => l.event === 'runtime.stopped')).toMatchObject({ finishedInFlight: true });
  });

  it('refuses a second Kocoro on the same data folder, naming the one that has it, and changes nothing', async () => {
    const file = await writeConfig(config([teamBot({ agentId: 'echo' })]));
    const first = start(file);
    await first.waitForLog('bot.connected');
    const data = path.join(dir, 'data');
    const store = await fs.readFile(path.join(data, 'kocoro.json'), 'utf8').catch(() => '');
    const second = start(file);
    const exit = await second.exited;
    expect(exit.code).toBe(3);
    expect(second.stderr.trim()).toMatch(
      new RegExp(`^another Kocoro is using ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${first.child.pid}\\)`),
    );
    expect(second.stdout).toBe('');
    expect(await fs.readFile(path.join(data, 'kocoro.json'), 'utf8').catch(() => '')).toBe(store);
    // The first one is unaffected: still the only connection, still answering.
    expect(lark.connections(APP.appId)).toHaveLength(1);
    const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'still here?' });
    expect(postText((await lark.waitForMessages({ replyTo: m.messageId }))[0]!.content)).toBe('still here?');
  });

  it('after kill -9 between ack and reply, answers the message exactly once on restart', async () => {
    model.options = { ...model.options, chunkChars: 1, chunkDelayMs: 200, reply: () => 'answer after crash' };
    const file = await writeConfig(config());
    const first = start(file);
    await first.waitForLog('bot.connected');
    const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'do not lose me' });
    expect((await lark.waitForAck(m.push.pushId)).ackCode).toBe(200);
    await first.waitForLog('message.accepted', { messageId: m.messageId });
    first.kill('SIGKILL');
    await first.exited;
    expect(lark.sentMessages({ replyTo: m.messageId })).toHaveLength(0);

    model.options = { ...model.options, chunkDelayMs: 0 };
    const second = start(file);
    expect(await second.waitForLog('inbox.recovered')).toMatchObject({ count: 1 });
    await second.waitForLog('reply.sent', { messageId: m.messageId });
    // A late re-push of the same message after the restart is recognised too.
    const again = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'do not lose me', messageId: m.messageId });
    await lark.waitForAck(again.push.pushId);
    await second.waitForLog('message.duplicate', { messageId: m.messageId });
    expect(lark.sentMessages({ replyTo: m.messageId })).toHaveLength(1);
    expect(postText(lark.sentMessages({ replyTo: m.messageId })[0]!.content)).toBe('answer after crash');
  });
});

describe('npm run headless -- --metrics PORT', () => {
  it("serves each bot's counters as Prometheus text after a known sequence of messages", async () => {
    const file = await writeConfig(config([teamBot({ agentId: 'echo' })]));
    const p = HeadlessProcess.start(['--config', file, '--data-dir', path.join(dir, 'data'), '--metrics', '0'], ENV);
    procs.push(p);
    const url = await p.waitForStderr(/^Metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m);
    await p.waitForLog('bot.connected');

    for (const text of ['one', 'two']) {
      const m = lark.pushMessage(APP.appId, { chatType: 'p2p', text });
      await p.waitForLog('reply.sent', { messageId: m.messageId });
    }
    const unmentioned = lark.pushMessage(APP.appId, { chatType: 'group', chatId: 'oc_team', text: 'talking among ourselves' });
    await p.waitForLog('message.ignored', { messageId: unmentioned.messageId });
    // lark/README.md §7: 230002, the bot is not in the group: an answer that can never be sent.
    lark.failNext({ method: 'POST', path: /\/reply$/ }, { status: 400, body: { code: 230002, msg: 'Bot is not in the chat' } });
    const doomed = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'three' });
    await p.waitForLog('reply.failed', { messageId: doomed.messageId });

    // The failure is counted once its message is off the disk, just after `reply.failed` is logged.
    await expect.poll(async () => (await (await fetch(url)).text()).includes('kocoro_messages_failed_total{bot="team-bot"} 1')).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    const value = (series: string) => {
      const line = body.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('kocoro_messages_accepted_total{bot="team-bot"}')).toBe(3);
    expect(value('kocoro_messages_answered_total{bot="team-bot"}')).toBe(2);
    expect(value('kocoro_messages_failed_total{bot="team-bot"}')).toBe(1);
    expect(value('kocoro_messages_ignored_total{bot="team-bot",rule="no_mention"}')).toBe(1);
    expect(value('kocoro_answer_seconds_count{bot="team-bot"}')).toBe(2);
    expect(value('kocoro_answers_in_flight{bot="team-bot"}')).toBe(0);
    expect(value('kocoro_queue_depth{bot="team-bot"}')).toBe(0);
    expect(value('kocoro_reconnects_total{bot="team-bot"}')).toBe(0);
    expect(body).toContain('process_resident_memory_bytes');
    // Loopback only, and not readable through another host name (DNS rebinding).
    const rebound = await new Promise<number | undefined>((resolve, reject) =>
      http.get(url, { headers: { host: 'attacker.example:80' } }, (r) => resolve(r.resume().statusCode)).on('error', reject),
    );
    expect(rebound).toBe(421);
  });
});

describe('npm run headless: what it loads', () => {
  it('runs the compiled core on plain Node and loads a model SDK only once an agent using it answers, and no Redis client for state in files', async () => {
    const imports = path.join(dir, 'imports.log');
    const recorder = ['--import', path.join(process.cwd(), 'e2e/support/record-imports.mjs')];
    const file = await writeConfig(
      config([teamBot({ agentId: 'echo' }), teamBot({ id: 'model-bot', appId: APP2.appId, appSecret: APP2.appSecret })]),
    );
    const p = HeadlessProcess.start(
      ['--config', file, '--data-dir', path.join(dir, 'data')],
      { ...ENV, KOCORO_IMPORT_LOG: imports },
      undefined,
      recorder,
    );
    procs.push(p);
    await p.waitForLog('bot.connected', { bot: 'team-bot' });
    await p.waitForLog('bot.connected', { bot: 'model-bot' });
    const echoed = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'echo me' });
    await p.waitForLog('reply.sent', { messageId: echoed.messageId });
    const loaded = async () => (await fs.readFile(imports, 'utf8')).split('\n');
    expect((await loaded()).some((url) => url.includes('/dist-headless/headless.js'))).toBe(true);
    expect((await loaded()).filter((url) => url.includes('/electron/') && url.endsWith('.ts'))).toEqual([]);
    expect((await loaded()).filter((url) => /node_modules\/(openai|@anthropic-ai)\//.test(url))).toEqual([]);

    const asked = lark.pushMessage(APP2.appId, { chatType: 'p2p', text: 'hello model' });
    await p.waitForLog('reply.sent', { messageId: asked.messageId });
    expect((await loaded()).some((url) => /node_modules\/openai\//.test(url))).toBe(true);
    expect((await loaded()).some((url) => /node_modules\/@anthropic-ai\//.test(url))).toBe(false);
    // The state is in the data folder: the Redis client (only for --state) was never loaded.
    expect((await loaded()).filter((url) => /node_modules\/ioredis\//.test(url))).toEqual([]);
  });
});
