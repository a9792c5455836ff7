import { describe, expect, it } from 'vitest';
import type * as lark from '@larksuiteoapi/node-sdk';
import { APP, caught, codeOf, newClient, startFake } from './sdk-test-kit.js';

// CardKit v1 (lark/README.md §5.11) driven through the official SDK's generated methods.

const streamingCard = (extra: { elements?: object[]; config?: object } = {}): string =>
  JSON.stringify({
    schema: '2.0',
    config: { streaming_mode: true, update_multi: true, summary: { content: '[Generating...]' }, ...extra.config },
    body: { elements: extra.elements ?? [{ tag: 'markdown', element_id: 'stream_md', content: 'Thinking...' }] },
  });

async function createCard(client: lark.Client, data = streamingCard()): Promise<string> {
  const res = await client.cardkit.v1.card.create({ data: { type: 'card_json', data } });
  return res.data?.card_id ?? '';
}

const content = (client: lark.Client, cardId: string, text: string, sequence: number, uuid?: string) =>
  client.cardkit.v1.cardElement.content({
    path: { card_id: cardId, element_id: 'stream_md' },
    data: { content: text, sequence, ...(uuid ? { uuid } : {}) },
  });

const settings = (client: lark.Client, cardId: string, config: object, sequence: number) =>
  client.cardkit.v1.card.settings({ path: { card_id: cardId }, data: { settings: JSON.stringify({ config }), sequence } });

describe('fake-lark CardKit against the official Client', () => {
  it('streams text into a card entity, closes streaming, and sends the entity exactly once', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const cardId = await createCard(client);
    expect(cardId).toMatch(/^\d{19}$/);
    expect(fake.card(cardId)).toMatchObject({ appId: APP.appId, streaming: true, ops: [{ kind: 'create' }] });

    await content(client, cardId, 'Hel', 1, `c_${cardId}_1`);
    await content(client, cardId, 'Hello wor', 2, `c_${cardId}_2`);
    await expect(content(client, cardId, 'Hello world', 3)).resolves.toMatchObject({ code: 0 });
    await settings(client, cardId, { streaming_mode: false, summary: { content: 'Hello world' } }, 4);

    const card = fake.card(cardId);
    expect(fake.cardText(cardId)).toBe('Hello world');
    expect(fake.cardText(cardId, 'stream_md')).toBe('Hello world');
    expect(card?.streaming).toBe(false);
    expect(card?.json).toMatchObject({ config: { streaming_mode: false, update_multi: true, summary: { content: 'Hello world' } } });
    expect(card?.ops.map((o) => [o.kind, o.sequence, o.uuid])).toEqual([
      ['create', undefined, undefined],
      ['content', 1, `c_${cardId}_1`],
      ['content', 2, `c_${cardId}_2`],
      ['content', 3, undefined],
      ['settings', 4, undefined],
    ]);
    expect(card?.ops[2]?.content).toBe('Hello wor');
    expect(fake.requests({ method: 'PUT', path: `/open-apis/cardkit/v1/cards/${cardId}/elements/stream_md/content` })[0]?.body).toEqual({
      content: 'Hel',
      sequence: 1,
      uuid: `c_${cardId}_1`,
    });

    const cardContent = JSON.stringify({ type: 'card', data: { card_id: cardId } });
    const incoming = fake.pushMessage(APP.appId, { text: 'question' });
    const sent = await client.im.v1.message.reply({
      path: { message_id: incoming.messageId },
      data: { msg_type: 'interactive', content: cardContent },
    });
    expect(fake.card(cardId)?.sentAs).toBe(sent.data?.message_id);
    expect(fake.sentMessages({ cardId })).toMatchObject([{ messageId: sent.data?.message_id, cardId, msgType: 'interactive' }]);

    // lark/README.md §5.11 "once only"; 230099 is the fake's choice (the doc names no code).
    const twice = await caught(
      client.im.v1.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: 'oc_x', msg_type: 'interactive', content: cardContent },
      }),
    );
    expect(twice.response).toMatchObject({ status: 400, data: { code: 230099 } });
    const unknown = JSON.stringify({ type: 'card', data: { card_id: '7000000000000000000' } });
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'chat_id' },
          data: { receive_id: 'oc_x', msg_type: 'interactive', content: unknown },
        }),
      ),
    ).toBe(200740);
    expect(fake.sentMessages()).toHaveLength(1);
  });

  it('requires sequence to increase across every operation (300317) and replays a uuid without applying it twice', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const cardId = await createCard(client);

    await content(client, cardId, 'one', 5, 'u-5');
    await settings(client, cardId, { summary: { content: 's' } }, 6);
    expect((await caught(content(client, cardId, 'two', 6))).response).toMatchObject({ status: 400, data: { code: 300317 } });
    expect(await codeOf(content(client, cardId, 'two', 2))).toBe(300317);
    expect(await codeOf(settings(client, cardId, { summary: { content: 't' } }, 6))).toBe(300317);

    // The same uuid and body again: success, nothing re-applied, even though its sequence is now stale.
    await expect(content(client, cardId, 'one', 5, 'u-5')).resolves.toMatchObject({ code: 0 });
    await content(client, cardId, 'one two', 7);
    await expect(content(client, cardId, 'one', 5, 'u-5')).resolves.toMatchObject({ code: 0 });
    expect(fake.cardText(cardId)).toBe('one two');
    expect(fake.card(cardId)?.ops.filter((o) => o.uuid === 'u-5')).toHaveLength(1);
    // The same uuid for a different request is a conflict (200770).
    expect(await codeOf(content(client, cardId, 'other', 8, 'u-5'))).toBe(200770);
    expect(fake.card(cardId)?.ops).toHaveLength(4);
  });

  it('closes streaming streamingTimeoutMs after it was last enabled: content then fails with 300309 until re-enabled', async () => {
    const fake = await startFake({ streamingTimeoutMs: 120 });
    const client = newClient(fake);
    const cardId = await createCard(client);
    await content(client, cardId, 'partial', 1);
    await new Promise((r) => setTimeout(r, 180));

    expect(fake.card(cardId)).toMatchObject({ streaming: false, json: { config: { streaming_mode: false } } });
    expect((await caught(content(client, cardId, 'partial more', 2))).response).toMatchObject({ status: 400, data: { code: 300309 } });
    await settings(client, cardId, { streaming_mode: true }, 3);
    expect(fake.card(cardId)?.streaming).toBe(true);
    await content(client, cardId, 'partial more', 4);
    expect(fake.cardText(cardId)).toBe('partial more');

    // A card created without streaming_mode never accepts streamed text.
    const still = await createCard(client, streamingCard({ config: { streaming_mode: false } }));
    expect(await codeOf(content(client, still, 'x', 1))).toBe(300309);
  });

  it('validates card JSON on create (200621, 300302, 300305, 300301, 200860) and element targets (300310, 200740)', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const create = (data: string) => codeOf(client.cardkit.v1.card.create({ data: { type: 'card_json', data } }));

    expect(await create('{not json')).toBe(200621);
    expect(await create(JSON.stringify({ config: {}, elements: [] }))).toBe(200621);
    expect(await create(streamingCard({ config: { update_multi: false } }))).toBe(300302);
    expect(await create(streamingCard({ elements: Array.from({ length: 201 }, () => ({ tag: 'markdown', content: 'x' })) }))).toBe(300305);
    expect(
      await create(
        streamingCard({
          elements: [
            { tag: 'markdown', element_id: 'a', content: '' },
            { tag: 'hr', element_id: 'a' },
          ],
        }),
      ),
    ).toBe(300301);
    expect(await create(streamingCard({ elements: [{ tag: 'markdown', content: 'x'.repeat(31 * 1024) }] }))).toBe(200860);
    expect(fake.cards()).toHaveLength(0);

    const cardId = await createCard(
      client,
      streamingCard({
        elements: [
          { tag: 'markdown', element_id: 'stream_md', content: '' },
          { tag: 'hr', element_id: 'line' },
        ],
      }),
    );
    const to = (elementId: string) =>
      codeOf(
        client.cardkit.v1.cardElement.content({ path: { card_id: cardId, element_id: elementId }, data: { content: 'x', sequence: 1 } }),
      );
    expect(await to('line')).toBe(300310);
    expect(await to('missing')).toBe(300310);
    expect(await codeOf(content(client, '7000000000000000001', 'x', 1))).toBe(200740);
    // Rejected operations do not consume a sequence.
    await expect(content(client, cardId, 'ok', 1)).resolves.toMatchObject({ code: 0 });
  });

  it('applies full updates and element inserts, keeping ids unique', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const cardId = await createCard(client);
    const update = (data: string, sequence: number) =>
      client.cardkit.v1.card.update({ path: { card_id: cardId }, data: { card: { type: 'card_json', data }, sequence } });
    const addElements = (type: 'insert_before' | 'insert_after' | 'append', elements: object[], sequence: number, target?: string) =>
      client.cardkit.v1.cardElement.create({
        path: { card_id: cardId },
        data: { type, elements: JSON.stringify(elements), sequence, ...(target ? { target_element_id: target } : {}) },
      });

    await update(
      streamingCard({ config: { streaming_mode: false }, elements: [{ tag: 'markdown', element_id: 'stream_md', content: 'final' }] }),
      1,
    );
    expect(fake.card(cardId)).toMatchObject({ streaming: false });
    await addElements('insert_before', [{ tag: 'hr', element_id: 'top' }], 2, 'stream_md');
    await addElements('insert_after', [{ tag: 'markdown', element_id: 'note', content: 'n' }], 3, 'stream_md');
    await addElements('append', [{ tag: 'button', element_id: 'btn', text: { tag: 'plain_text', content: 'Go' } }], 4);

    const elements = (fake.card(cardId)?.json.body as { elements: Array<{ element_id: string }> }).elements;
    expect(elements.map((e) => e.element_id)).toEqual(['top', 'stream_md', 'note', 'btn']);
    expect(await codeOf(addElements('append', [{ tag: 'hr', element_id: 'top' }], 5))).toBe(300301);
    expect(await codeOf(addElements('insert_after', [{ tag: 'hr' }], 6, 'nope'))).toBe(300310);
    expect(await codeOf(update(streamingCard({ config: { update_multi: false } }), 7))).toBe(300302);
    expect(fake.card(cardId)?.ops.map((o) => o.kind)).toEqual(['create', 'update', 'elements', 'elements', 'elements']);
  });

  it('records every request per card and, with cardOpsPerSecond, answers 429 / 99991400 beyond it', async () => {
    const fake = await startFake({ cardOpsPerSecond: 2 });
    const client = newClient(fake);
    const cardId = await createCard(client);
    await content(client, cardId, 'a', 1);
    const limited = await caught(content(client, cardId, 'ab', 2));
    expect(limited.response).toMatchObject({ status: 429, data: { code: 99991400 }, headers: { 'x-ogw-ratelimit-limit': '2' } });
    expect(fake.card(cardId)?.requestedAt).toHaveLength(3);
    expect(fake.cardText(cardId)).toBe('a');
  });
});
