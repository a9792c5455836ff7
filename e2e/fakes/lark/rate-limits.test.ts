import { describe, expect, it } from 'vitest';
import { PUBLISHED_RATE_LIMITS } from './index.js';
import { caught, newClient, startFake } from './sdk-test-kit.js';

const send = (client: ReturnType<typeof newClient>, chatId: string, text: string) =>
  client.im.v1.message.create({
    params: { receive_id_type: 'chat_id' },
    data: { receive_id: chatId, msg_type: 'text', content: JSON.stringify({ text }) },
  });

describe('fake-lark rate limits, as the SDK meets them (lark/README.md §8)', () => {
  it('is on by default with the published figures: 50/s and 1000/min per API, 5/s per chat', () => {
    expect(PUBLISHED_RATE_LIMITS).toEqual({ perApiPerSecond: 50, perApiPerMinute: 1000, perChatPerSecond: 5 });
  });

  it("answers an API's call beyond its limit with HTTP 429, 99991400 and the x-ogw-ratelimit headers, per API", async () => {
    const fake = await startFake({ rateLimits: { perApiPerSecond: 3 } });
    const client = newClient(fake);
    for (let i = 0; i < 3; i++) await send(client, `oc_chat${i}`, 'hi');
    const limited = await caught(send(client, 'oc_chat9', 'one too many'));
    expect(limited.response).toMatchObject({
      status: 429,
      data: { code: 99991400, msg: 'request trigger frequency limit' },
      headers: { 'x-ogw-ratelimit-limit': '3', 'x-ogw-ratelimit-reset': '1' },
    });
    // Another API has its own budget.
    const card = await client.request({
      method: 'POST',
      url: '/open-apis/cardkit/v1/cards',
      data: { type: 'card_json', data: '{"schema":"2.0","body":{"elements":[]}}' },
    });
    expect(card).toMatchObject({ code: 0 });
    expect(fake.rateLimitHits().map((h) => [h.api, h.code])).toEqual([['message.create', 99991400]]);
    expect(fake.sentMessages()).toHaveLength(3);
  });

  it('answers the sixth message to one chat in a second with 230020, while other chats still get theirs', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    for (let i = 0; i < 5; i++) await send(client, 'oc_busy', `m${i}`);
    const limited = await caught(send(client, 'oc_busy', 'sixth'));
    expect(limited.response).toMatchObject({ status: 400, data: { code: 230020 } });
    await expect(send(client, 'oc_quiet', 'elsewhere')).resolves.toMatchObject({ code: 0 });
    await new Promise((r) => setTimeout(r, 1_050));
    await expect(send(client, 'oc_busy', 'a second later')).resolves.toMatchObject({ code: 0 });
    expect(fake.rateLimitHits().map((h) => h.code)).toEqual([230020]);
  });
});
