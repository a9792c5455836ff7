import { afterEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '@e2e/fakes/anthropic/server';
import { AnthropicProvider } from './anthropic-provider';
import { AgentError, type AgentRequest, type AgentTurn, collectText } from './provider';

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const request = (turns: AgentTurn[] | string, signal = new AbortController().signal): AgentRequest => ({
  systemPrompt: 'You are terse.',
  turns: typeof turns === 'string' ? [{ role: 'user', text: turns }] : turns,
  context: { platform: 'feishu', botId: 'b', chatId: 'oc_1', chatType: 'p2p', senderOpenId: 'ou_1' },
  signal,
});

async function failure(provider: AnthropicProvider, req: AgentRequest): Promise<unknown> {
  return collectText(provider.stream(req)).then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
}

describe('AnthropicProvider', () => {
  it('streams text deltas, sending the system prompt, model and key', async () => {
    fake = await FakeAnthropic.start({ apiKey: 'sk-ant-local', chunkChars: 3 });
    const provider = new AnthropicProvider({ baseUrl: fake.baseUrl, apiKey: 'sk-ant-local', model: 'claude-test-1' });
    const deltas: string[] = [];
    for await (const d of provider.stream(request('hello there'))) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('You said: hello there');
    expect(fake.requests[0]).toMatchObject({
      model: 'claude-test-1',
      stream: true,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(fake.headers[0]?.['x-api-key']).toBe('sk-ant-local');
  });

  it('sends images as base64 image blocks and keeps the conversation', async () => {
    fake = await FakeAnthropic.start();
    const provider = new AnthropicProvider({ baseUrl: fake.baseUrl, apiKey: 'k', model: 'claude-test-1' });
    const text = await collectText(
      provider.stream(
        request([
          { role: 'user', text: 'first' },
          { role: 'assistant', text: 'ok' },
          { role: 'user', text: 'what is this?', images: [{ mimeType: 'image/png', dataBase64: 'iVBORw0KGgo=' }] },
        ]),
      ),
    );
    expect(text).toBe('You said: what is this?');
    expect(fake.requests[0]?.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'text', text: 'what is this?' },
        ],
      },
    ]);
  });

  it('stops streaming and closes the request when aborted', async () => {
    fake = await FakeAnthropic.start({ chunkChars: 1, chunkDelayMs: 20, reply: () => 'x'.repeat(500) });
    const provider = new AnthropicProvider({ baseUrl: fake.baseUrl, apiKey: 'k', model: 'm' });
    const controller = new AbortController();
    let received = 0;
    const running = (async () => {
      for await (const _ of provider.stream(request('go', controller.signal))) {
        if (++received === 5) controller.abort();
      }
    })();
    await expect(running).rejects.toThrow();
    expect(received).toBeLessThan(20);
    await expect.poll(() => fake!.aborted).toBe(1);
  });

  it('says a wrong key was rejected, and health says so too', async () => {
    fake = await FakeAnthropic.start({ apiKey: 'right', models: ['claude-test-1'] });
    const provider = new AnthropicProvider({ baseUrl: fake.baseUrl, apiKey: 'wrong', model: 'claude-test-1' });
    const err = await failure(provider, request('hi'));
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).userMessage).toMatch(/API key was rejected/);
    expect(await provider.health()).toMatchObject({ ok: false, message: expect.stringMatching(/rejected the API key/) });
    const good = new AnthropicProvider({ baseUrl: fake.baseUrl, apiKey: 'right', model: 'claude-test-1' });
    expect(await good.health()).toMatchObject({ ok: true, message: expect.stringMatching(/claude-test-1 is available/) });
  });

  it('says an unknown model was not found', async () => {
    fake = await FakeAnthropic.start({ models: ['claude-test-1'] });
    const provider = new AnthropicProvider({ baseUrl: fake.baseUrl, apiKey: 'k', model: 'claude-nope' });
    const err = await failure(provider, request('hi'));
    expect((err as AgentError).userMessage).toMatch(/model "claude-nope" was not found/);
  });

  it('reports an unreachable endpoint clearly', async () => {
    fake = await FakeAnthropic.start();
    const url = fake.baseUrl;
    await fake.close();
    fake = undefined;
    const provider = new AnthropicProvider({ baseUrl: url, apiKey: 'k', model: 'm', maxRetries: 0 });
    const err = await failure(provider, request('hi'));
    expect(err).toBeInstanceOf(AgentError);
    expect((err as Error).message).toMatch(/cannot reach Anthropic endpoint/);
  });

  it('needs a key', async () => {
    const provider = new AnthropicProvider({ model: 'm' });
    const err = await failure(provider, request('hi'));
    expect((err as AgentError).userMessage).toMatch(/no API key/);
  });
});
