import { afterEach, describe, expect, it } from 'vitest';
import { FakeOpenAi } from '@e2e/fakes/openai/server';
import { providerHealth } from './health';
import { OpenAiProvider } from './openai-provider';
import { AgentError, type AgentRequest } from './provider';

let fake: FakeOpenAi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const request = (text: string, signal = new AbortController().signal): AgentRequest => ({
  systemPrompt: 'You are terse.',
  turns: [{ role: 'user', text }],
  context: { platform: 'feishu', botId: 'b', chatId: 'oc_1', chatType: 'p2p', senderOpenId: 'ou_1' },
  signal,
});

describe('OpenAiProvider', () => {
  it('streams deltas from an OpenAI-compatible endpoint, sending the system prompt and key', async () => {
    fake = await FakeOpenAi.start({ apiKey: 'sk-local', chunkChars: 3 });
    const provider = new OpenAiProvider({ baseUrl: fake.baseUrl, apiKey: 'sk-local', model: 'llama3.2' });
    const deltas: string[] = [];
    for await (const d of provider.stream(request('hello there'))) deltas.push(d);
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('You said: hello there');
    expect(fake.requests[0]).toMatchObject({
      model: 'llama3.2',
      stream: true,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hello there' },
      ],
    });
  });

  it('stops streaming and closes the request when aborted', async () => {
    fake = await FakeOpenAi.start({ chunkChars: 1, chunkDelayMs: 20, reply: () => 'x'.repeat(500) });
    const provider = new OpenAiProvider({ baseUrl: fake.baseUrl, model: 'm' });
    const controller = new AbortController();
    let received = 0;
    const run = (async () => {
      for await (const _ of provider.stream(request('go', controller.signal))) {
        if (++received === 5) controller.abort();
      }
    })();
    await expect(run).rejects.toThrow();
    expect(received).toBeLessThan(20);
    await expect.poll(() => fake!.aborted).toBe(1);
  });

  it('turns a wrong key into an AgentError that says so', async () => {
    fake = await FakeOpenAi.start({ apiKey: 'right' });
    const provider = new OpenAiProvider({ baseUrl: fake.baseUrl, apiKey: 'wrong', model: 'm' });
    const err = await (async () => {
      for await (const _ of provider.stream(request('hi'))) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).userMessage).toMatch(/API key was rejected/);
  });

  it('reports an unreachable endpoint clearly', async () => {
    fake = await FakeOpenAi.start();
    const url = fake.baseUrl;
    await fake.close();
    fake = undefined;
    const provider = new OpenAiProvider({ baseUrl: url, model: 'm' });
    const err = await (async () => {
      for await (const _ of provider.stream(request('hi'))) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as Error).message).toMatch(/cannot reach model endpoint/);
  });
});

describe('OpenAiProvider images and health', () => {
  it('sends images as data-URL parts, and plain text when the model takes none', async () => {
    fake = await FakeOpenAi.start();
    const turns: AgentRequest['turns'] = [{ role: 'user', text: 'look', images: [{ mimeType: 'image/png', dataBase64: 'AAAA' }] }];
    const withImages = new OpenAiProvider({ baseUrl: fake.baseUrl, model: 'm' });
    for await (const _ of withImages.stream({ ...request('x'), turns })) void _;
    expect(fake.requests[0]?.messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
      ],
    });
    const textOnly = new OpenAiProvider({ baseUrl: fake.baseUrl, model: 'm', acceptsImages: false });
    for await (const _ of textOnly.stream({ ...request('x'), turns })) void _;
    expect(fake.requests[1]?.messages.at(-1)).toEqual({ role: 'user', content: 'look' });
  });

  it('health: key accepted, key rejected, endpoint unreachable', async () => {
    fake = await FakeOpenAi.start({ apiKey: 'right' });
    expect(await providerHealth({ type: 'openai', baseUrl: fake.baseUrl, apiKey: 'right', model: 'm' })).toMatchObject({ ok: true });
    expect(await providerHealth({ type: 'openai', baseUrl: fake.baseUrl, apiKey: 'wrong', model: 'm' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/rejected the API key/),
    });
    const url = fake.baseUrl;
    await fake.close();
    fake = undefined;
    expect(await providerHealth({ type: 'openai', baseUrl: url, model: 'm' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/cannot reach/),
    });
    expect(await providerHealth({ type: 'echo' })).toMatchObject({ ok: true });
  });
});
