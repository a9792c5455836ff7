import { afterEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '@e2e/fakes/anthropic/server';
import { FakeKocoro } from '@e2e/fakes/kocoro/server';
import { ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness | undefined;
let kocoro: FakeKocoro | undefined;
let anthropic: FakeAnthropic | undefined;
afterEach(async () => {
  await h?.dispose();
  await kocoro?.close();
  await anthropic?.close();
  h = kocoro = anthropic = undefined;
});

describe('kocoro, anthropic and command agents through the API', () => {
  it('creates each type, keeps the Anthropic key in the vault, and shows no key', async () => {
    h = await ServiceHarness.create();
    const k = await h.call('agents.create', {
      name: 'Research',
      provider: { type: 'kocoro', url: 'http://127.0.0.1:7533', agent: 'research' },
    });
    expect(k.provider).toEqual({ type: 'kocoro', url: 'http://127.0.0.1:7533', agent: 'research' });
    const a = await h.call('agents.create', {
      name: 'Claude',
      provider: { type: 'anthropic', model: 'claude-test-1', apiKey: 'sk-ant-secret-0001' },
    });
    expect(a.provider).toEqual({ type: 'anthropic', model: 'claude-test-1', hasApiKey: true });
    expect(await h.vault.get(`agent:${a.id}:apiKey`)).toBe('sk-ant-secret-0001');
    const c = await h.call('agents.create', {
      name: 'Script',
      provider: {
        type: 'command',
        command: process.execPath,
        args: ['-e', 'process.stdin.pipe(process.stdout)'],
        input: 'stdin',
        cwd: '~',
        timeoutSec: 30,
      },
    });
    expect(c.provider).toEqual({
      type: 'command',
      command: process.execPath,
      args: ['-e', 'process.stdin.pipe(process.stdout)'],
      input: 'stdin',
      cwd: '~',
      timeoutSec: 30,
    });
    expect(JSON.stringify(h.results)).not.toContain('sk-ant-secret-0001');
    expect(await h.failure('agents.create', { name: 'Bad', provider: { type: 'command', command: ' ' } })).toMatchObject({
      code: 'invalid_input',
      field: 'provider.command',
    });
    expect(await h.failure('agents.create', { name: 'Bad', provider: { type: 'kocoro', agent: '' } })).toMatchObject({
      code: 'invalid_input',
      field: 'provider.agent',
    });
  });

  it('lists a daemon’s agents, or says clearly that it is not running', async () => {
    kocoro = await FakeKocoro.start();
    h = await ServiceHarness.create();
    expect(await h.call('agents.kocoroAgents', { url: kocoro.url })).toEqual({
      agents: [
        { name: 'default', displayName: 'Default', description: 'General assistant' },
        { name: 'research', displayName: 'Research', description: 'Finds things out' },
      ],
    });
    const url = kocoro.url;
    await kocoro.close();
    kocoro = undefined;
    expect(await h.failure('agents.kocoroAgents', { url })).toMatchObject({
      code: 'invalid_input',
      field: 'url',
      message: expect.stringMatching(/Kocoro daemon not running: start it with `shan daemon start`/),
    });
  });

  it('checks health per agent', async () => {
    kocoro = await FakeKocoro.start();
    anthropic = await FakeAnthropic.start({ apiKey: 'right', models: ['claude-test-1'] });
    h = await ServiceHarness.create();
    const k = await h.call('agents.create', {
      name: 'K',
      provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'default' },
    });
    const good = await h.call('agents.create', {
      name: 'A',
      provider: { type: 'anthropic', baseUrl: anthropic.baseUrl, model: 'claude-test-1', apiKey: 'right' },
    });
    const bad = await h.call('agents.create', {
      name: 'B',
      provider: { type: 'anthropic', baseUrl: anthropic.baseUrl, model: 'claude-test-1', apiKey: 'wrong' },
    });
    const c = await h.call('agents.create', { name: 'C', provider: { type: 'command', command: '/no/such/program' } });
    const e = await h.call('agents.create', { name: 'E', provider: { type: 'echo' } });
    expect(await h.call('agents.health', { id: k.id })).toMatchObject({ ok: true });
    expect(await h.call('agents.health', { id: good.id })).toMatchObject({ ok: true });
    expect(await h.call('agents.health', { id: bad.id })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/rejected the API key/),
    });
    expect(await h.call('agents.health', { id: c.id })).toMatchObject({ ok: false, message: expect.stringMatching(/not found/) });
    expect(await h.call('agents.health', { id: e.id })).toMatchObject({ ok: true });
    expect(await h.failure('agents.health', { id: 'nobody' })).toMatchObject({ code: 'not_found' });
  });

  it('tests a Kocoro agent, ending with the daemon’s authoritative reply', async () => {
    kocoro = await FakeKocoro.start({ finalReply: () => 'the final word' });
    h = await ServiceHarness.create();
    const k = await h.call('agents.create', {
      name: 'K',
      provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'default' },
    });
    const { runId } = await h.call('agents.test', { id: k.id, text: 'hi' });
    await h.waitForEvent('agent.test', (ev) => ev.runId === runId && ev.done === true);
    const run = h.events('agent.test').filter((ev) => ev.runId === runId);
    expect(run.some((ev) => ev.delta !== undefined)).toBe(true);
    expect(run.at(-2)).toEqual({ runId, replace: 'the final word' });
  });
});
