import { afterEach, describe, expect, it } from 'vitest';
import { FakeOpenAi } from '../../fakes/openai/server';
import { APP, MODEL_KEY, postText, ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness;
afterEach(async () => {
  await h?.dispose();
});

const ECHO_CONFIG = () => ({ agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' as const } }], bots: [] });

describe('agents', () => {
  it('lists config agents first, read-only, then the app ones with a slug id and no key in sight', async () => {
    h = await ServiceHarness.create({ config: ECHO_CONFIG });
    const created = await h.call('agents.create', {
      name: 'Café Helper',
      systemPrompt: 'Be brief.',
      provider: { type: 'openai', baseUrl: h.model.baseUrl, model: 'test-model', temperature: 0.2, apiKey: MODEL_KEY },
    });
    expect(created).toEqual({
      id: 'cafe-helper',
      name: 'Café Helper',
      systemPrompt: 'Be brief.',
      provider: { type: 'openai', baseUrl: h.model.baseUrl, model: 'test-model', temperature: 0.2, hasApiKey: true },
      managedBy: 'app',
      usedBy: [],
    });
    const second = await h.call('agents.create', { name: 'Café Helper', provider: { type: 'echo' } });
    expect(second.id).toBe('cafe-helper-2');
    expect((await h.call('agents.create', { name: '助手', provider: { type: 'echo' } })).id).toBe('agent-1');
    expect((await h.call('agents.list', {})).map((a) => [a.id, a.managedBy])).toEqual([
      ['echo', 'config'],
      ['cafe-helper', 'app'],
      ['cafe-helper-2', 'app'],
      ['agent-1', 'app'],
    ]);
    expect(h.events('agents.changed')).toHaveLength(3);
  });

  it('keeps, replaces or clears the API key as the contract says', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const provider = { type: 'openai' as const, baseUrl: h.model.baseUrl, model: 'test-model' };
    const kept = await h.call('agents.update', { id: agent.id, name: 'Model', provider });
    expect(kept.provider).toMatchObject({ hasApiKey: true });
    expect(await h.vault.get(`agent:${agent.id}:apiKey`)).toBe(MODEL_KEY);
    await h.call('agents.update', { id: agent.id, name: 'Model', provider: { ...provider, apiKey: 'sk-replaced-key-000' } });
    expect(await h.vault.get(`agent:${agent.id}:apiKey`)).toBe('sk-replaced-key-000');
    const cleared = await h.call('agents.update', { id: agent.id, name: 'Model', provider: { ...provider, apiKey: null } });
    expect(cleared.provider).toMatchObject({ hasApiKey: false });
    expect(await h.vault.get(`agent:${agent.id}:apiKey`)).toBeUndefined();
  });

  it('never sends a saved API key to a new endpoint or provider: it is dropped unless the update gives one', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    const elsewhere = await FakeOpenAi.start({});
    try {
      const moved = await h.call('agents.update', {
        id: agent.id,
        name: 'Model',
        provider: { type: 'openai', baseUrl: elsewhere.baseUrl, model: 'test-model' },
      });
      expect(moved.provider).toMatchObject({ hasApiKey: false });
      expect(await h.vault.get(`agent:${agent.id}:apiKey`)).toBeUndefined();
      const { runId } = await h.call('agents.test', { id: agent.id, text: 'who gets my key?' });
      await h.waitForEvent('agent.test', (e) => e.runId === runId && ('done' in e || 'error' in e));
      expect(elsewhere.requests).toHaveLength(1);
      expect(JSON.stringify(elsewhere.requestHeaders)).not.toContain(MODEL_KEY);

      // The same origin (another path) keeps it; a new key given with the change is saved.
      await h.call('agents.update', {
        id: agent.id,
        name: 'Model',
        provider: { type: 'openai', baseUrl: h.model.baseUrl, model: 'm', apiKey: MODEL_KEY },
      });
      const samePlace = await h.call('agents.update', {
        id: agent.id,
        name: 'Model',
        provider: { type: 'openai', baseUrl: `${h.model.baseUrl}/`, model: 'm' },
      });
      expect(samePlace.provider).toMatchObject({ hasApiKey: true });
      const otherType = await h.call('agents.update', {
        id: agent.id,
        name: 'Model',
        provider: { type: 'anthropic', baseUrl: h.model.baseUrl, model: 'c' },
      });
      expect(otherType.provider).toMatchObject({ hasApiKey: false });
    } finally {
      await elsewhere.close();
    }
  });

  it('keeps config agents read-only', async () => {
    h = await ServiceHarness.create({ config: ECHO_CONFIG });
    expect(await h.failure('agents.update', { id: 'echo', name: 'Mine now', provider: { type: 'echo' } })).toMatchObject({
      code: 'read_only',
      field: 'id',
      message: expect.stringContaining(h.configFile),
    });
    expect(await h.failure('agents.remove', { id: 'echo' })).toMatchObject({ code: 'read_only' });
    expect(await h.failure('agents.update', { id: 'nobody', name: 'x', provider: { type: 'echo' } })).toMatchObject({
      code: 'not_found',
      field: 'id',
    });
  });

  it('refuses to remove an agent a bot uses, naming the bot, and removes it once free', async () => {
    h = await ServiceHarness.create({ config: ECHO_CONFIG });
    const agent = await h.createModelAgent();
    const bot = await h.createBot(agent.id);
    expect((await h.call('agents.list', {})).find((a) => a.id === agent.id)!.usedBy).toEqual([bot.id]);
    expect(await h.failure('agents.remove', { id: agent.id })).toMatchObject({
      code: 'in_use',
      field: 'id',
      message: expect.stringContaining(bot.id),
    });

    await h.call('bots.update', { id: bot.id, agentId: 'echo' });
    expect(await h.call('agents.remove', { id: agent.id })).toEqual({ removed: true });
    expect(await h.vault.get(`agent:${agent.id}:apiKey`)).toBeUndefined();
    expect((await h.call('agents.list', {})).map((a) => a.id)).toEqual(['echo']);
  });

  it('brings a changed system prompt to the running bots that use the agent', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent('Model', { systemPrompt: 'Old prompt.' });
    await h.createBot(agent.id);
    await h.lark.waitForConnections(APP.appId);
    await h.call('agents.update', {
      id: agent.id,
      name: 'Model',
      systemPrompt: 'New prompt.',
      provider: { type: 'openai', baseUrl: h.model.baseUrl, model: 'test-model' },
    });
    await h.lark.waitForConnections(APP.appId);
    await expect.poll(() => h.service.statuses()[0]?.state).toBe('connected');
    const dm = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'which prompt?' });
    const [reply] = await h.lark.waitForMessages({ replyTo: dm.messageId });
    expect(postText(reply!.content)).toBe('You said: which prompt?');
    expect(h.model.requests.at(-1)!.messages[0]).toEqual({ role: 'system', content: 'New prompt.' });
  });
});

describe('testing an agent', () => {
  it('returns a run id at once, then streams the answer as deltas and ends with done', async () => {
    h = await ServiceHarness.create({ model: { chunkChars: 2 } });
    const agent = await h.createModelAgent();
    const { runId } = await h.call('agents.test', { id: agent.id, text: 'hello there' });
    expect(h.events('agent.test')).toEqual([]);
    await h.waitForEvent('agent.test', (e) => e.runId === runId && e.done === true);
    const run = h.events('agent.test').filter((e) => e.runId === runId);
    const deltas = run.filter((e) => e.delta !== undefined).map((e) => e.delta);
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe('You said: hello there');
    expect(run.at(-1)).toEqual({ runId, done: true });
    expect(h.model.requests[0]).toMatchObject({ model: 'test-model', messages: [{ role: 'user', content: 'hello there' }] });
  });

  it('ends with the error in words the owner can act on', async () => {
    h = await ServiceHarness.create();
    const agent = await h.call('agents.create', { name: 'No Key', provider: { type: 'openai', baseUrl: h.model.baseUrl, model: 'm' } });
    const { runId } = await h.call('agents.test', { id: agent.id, text: 'hi' });
    const end = await h.waitForEvent('agent.test', (e) => e.runId === runId && e.error !== undefined);
    expect(end.error).toMatch(/API key was rejected/);
    expect(await h.failure('agents.test', { id: 'nobody', text: 'hi' })).toMatchObject({ code: 'not_found', field: 'id' });
    expect(await h.failure('agents.test', { id: agent.id, text: '   ' })).toMatchObject({ code: 'invalid_input', field: 'text' });
  });

  it('stops a test when the service stops', async () => {
    h = await ServiceHarness.create({ model: { chunkChars: 1, chunkDelayMs: 50, reply: () => 'x'.repeat(200) } });
    const agent = await h.createModelAgent();
    const { runId } = await h.call('agents.test', { id: agent.id, text: 'long one' });
    await h.waitForEvent('agent.test', (e) => e.runId === runId && e.delta !== undefined);
    await h.service.stop(100);
    const end = await h.waitForEvent('agent.test', (e) => e.runId === runId && e.error !== undefined);
    expect(end.error).toMatch(/shutting down/);
    await expect.poll(() => h.model.aborted).toBe(1);
  });
});
