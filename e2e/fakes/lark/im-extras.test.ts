import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { buildMessageReceiveEvent, messageContent, newFileKey, newImageKey, scopeGrantUrl } from './index.js';
import { APP, caught, codeOf, newClient, onCleanup, silentLogger, startFake } from './sdk-test-kit.js';

// Reactions (lark/README.md §5.7), resources (lark/README.md §5.8), message reads, scopes (lark/README.md §5.12, §6) and card callbacks (lark/README.md §3.5),
// driven through the official SDK.

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe('fake-lark reactions', () => {
  it('adds and removes a reaction with the documented shapes and errors', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const { messageId } = fake.pushMessage(APP.appId, { text: 'hi' });
    const add = (emoji: string, id = messageId) =>
      client.im.v1.messageReaction.create({ path: { message_id: id }, data: { reaction_type: { emoji_type: emoji } } });

    const added = await add('Typing');
    const reactionId = added.data?.reaction_id ?? '';
    expect(added).toMatchObject({
      code: 0,
      data: { operator: { operator_id: APP.appId, operator_type: 'app' }, reaction_type: { emoji_type: 'Typing' } },
    });
    expect(added.data?.action_time).toMatch(/^\d{13}$/);
    expect(fake.reactions(messageId)).toMatchObject([{ reactionId, emojiType: 'Typing', operatorType: 'app', active: true }]);

    expect(await codeOf(add('typing'))).toBe(231001);
    expect(await codeOf(add('Typing', 'om_unknown'))).toBe(231003);
    const other = fake.pushMessage(APP.appId, { text: 'other' });
    expect(await codeOf(client.im.v1.messageReaction.delete({ path: { message_id: other.messageId, reaction_id: reactionId } }))).toBe(
      231010,
    );

    await expect(client.im.v1.messageReaction.delete({ path: { message_id: messageId, reaction_id: reactionId } })).resolves.toMatchObject({
      code: 0,
      data: { reaction_id: reactionId },
    });
    expect(fake.reactions(messageId)[0]).toMatchObject({ active: false, removedAt: expect.any(Number) });
    expect(await codeOf(client.im.v1.messageReaction.delete({ path: { message_id: messageId, reaction_id: reactionId } }))).toBe(231011);
    expect(await codeOf(client.im.v1.messageReaction.delete({ path: { message_id: messageId, reaction_id: 'nope' } }))).toBe(231011);
  });
});

describe('fake-lark message resources', () => {
  it('downloads pushed image/file/post-image resources as binary streams with their headers', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const imageKey = newImageKey();
    const fileKey = newFileKey();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const pdf = Buffer.from('%PDF-1.7 fake');
    const image = fake.pushMessage(APP.appId, {
      messageType: 'image',
      content: messageContent.image(imageKey),
      resources: [{ fileKey: imageKey, type: 'image', bytes: png, contentType: 'image/png' }],
    });
    const file = fake.pushMessage(APP.appId, { messageType: 'file', content: messageContent.file(fileKey, '季度报告.pdf') });
    fake.addResource(file.messageId, fileKey, { type: 'file', bytes: pdf, contentType: 'application/pdf', fileName: '季度报告.pdf' });

    const got = await client.im.v1.messageResource.get({
      path: { message_id: image.messageId, file_key: imageKey },
      params: { type: 'image' },
    });
    expect(await readAll(got.getReadableStream())).toEqual(png);
    expect(got.headers).toMatchObject({ 'content-type': 'image/png' });

    const dir = await mkdtemp(join(tmpdir(), 'fake-lark-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const doc = await client.im.v1.messageResource.get({
      path: { message_id: file.messageId, file_key: fileKey },
      params: { type: 'file' },
    });
    expect(doc.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('季度报告.pdf')}`);
    await doc.writeFile(join(dir, 'r.pdf'));
    expect(await readFile(join(dir, 'r.pdf'))).toEqual(pdf);

    // Images inside a post are downloaded with type=image (lark/README.md §3.3, §5.8).
    const postKey = newImageKey();
    const post = fake.pushMessage(APP.appId, {
      messageType: 'post',
      content: messageContent.post('Title', [[{ tag: 'text', text: 'see' }], [{ tag: 'img', image_key: postKey }]]),
      resources: [{ fileKey: postKey, type: 'image', bytes: png, contentType: 'image/png' }],
    });
    const inPost = await client.im.v1.messageResource.get({
      path: { message_id: post.messageId, file_key: postKey },
      params: { type: 'image' },
    });
    expect(await readAll(inPost.getReadableStream())).toEqual(png);
  });

  it('answers 234003 for unknown keys, 234037 above 100 MB, 234043 for stickers and merge_forward', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const get = (messageId: string, fileKey: string, type: 'image' | 'file' = 'file') =>
      client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: fileKey }, params: { type } });
    const key = newFileKey();
    const media = fake.pushMessage(APP.appId, {
      messageType: 'media',
      content: messageContent.media(key, newImageKey(), 'clip.mp4', 2000),
      resources: [
        { fileKey: key, type: 'file', bytes: Buffer.from('x'), contentType: 'video/mp4', fileName: 'clip.mp4', size: 101 * 1024 * 1024 },
      ],
    });

    const unknown = await caught(get(media.messageId, 'file_v3_nope'));
    expect(unknown.response).toMatchObject({ status: 400, data: { code: 234003 } });
    expect(await codeOf(get('om_other', key))).toBe(234003);
    expect(await codeOf(get(media.messageId, key))).toBe(234037);
    const stickerKey = newFileKey();
    const sticker = fake.pushMessage(APP.appId, { messageType: 'sticker', content: messageContent.sticker(stickerKey) });
    expect(await codeOf(get(sticker.messageId, stickerKey))).toBe(234043);
    const merged = fake.pushMessage(APP.appId, { messageType: 'merge_forward', content: messageContent.mergeForward() });
    expect(await codeOf(get(merged.messageId, key))).toBe(234043);
  });
});

describe('fake-lark message read', () => {
  it('returns pushed and bot-sent messages in the read-API shape; unknown ids get 230001', async () => {
    const fake = await startFake();
    const client = newClient(fake);
    const parent = fake.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_team',
      senderOpenId: 'ou_alice',
      text: '@_user_1 look',
      threadId: 'omt_1',
      rootId: 'om_root',
      parentId: 'om_root',
      mentions: [{ key: '@_user_1', openId: 'ou_tom', name: 'Tom', mentionedType: 'user' }],
    });
    const read = await client.im.v1.message.get({ path: { message_id: parent.messageId } });
    expect(read.data?.items?.[0]).toMatchObject({
      message_id: parent.messageId,
      root_id: 'om_root',
      parent_id: 'om_root',
      thread_id: 'omt_1',
      msg_type: 'text',
      chat_id: 'oc_team',
      sender: { id: 'ou_alice', id_type: 'open_id', sender_type: 'user' },
      body: { content: '{"text":"@_user_1 look"}' },
      mentions: [{ key: '@_user_1', id: 'ou_tom', id_type: 'open_id', name: 'Tom' }],
    });

    // Raw push() of a receive envelope is remembered too.
    const raw = buildMessageReceiveEvent({ appId: APP.appId, tenantKey: 'tk', verificationToken: 'v' }, { text: 'raw' });
    fake.push(APP.appId, raw.envelope);
    await expect(client.im.v1.message.get({ path: { message_id: raw.messageId } })).resolves.toMatchObject({
      data: { items: [{ body: { content: '{"text":"raw"}' } }] },
    });

    const sent = await client.im.v1.message.reply({
      path: { message_id: parent.messageId },
      data: { msg_type: 'text', content: '{"text":"ok"}' },
    });
    const bot = await client.im.v1.message.get({ path: { message_id: sent.data?.message_id ?? '' } });
    expect(bot.data?.items?.[0]).toMatchObject({
      sender: { id: APP.appId, id_type: 'app_id', sender_type: 'app' },
      parent_id: parent.messageId,
      body: { content: '{"text":"ok"}' },
    });

    // lark/README.md §3.3: a JSON 2.0 card is not returned as sent.
    const card = JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'secret' }] } });
    const cardMsg = await client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_team', msg_type: 'interactive', content: card },
    });
    const cardRead = await client.im.v1.message.get({ path: { message_id: cardMsg.data?.message_id ?? '' } });
    expect(cardRead.data?.items?.[0]?.body?.content).not.toContain('secret');

    expect(await codeOf(client.im.v1.message.get({ path: { message_id: 'om_unknown' } }))).toBe(230001);
  });
});

describe('fake-lark scopes', () => {
  it('fails calls needing a missing scope with 99991672 and the grant link, and lists grant status', async () => {
    const fake = await startFake({ apps: [{ ...APP, grantedScopes: ['im:message:send_as_bot', 'im:message.reactions:write_only'] }] });
    const client = newClient(fake);

    const denied = await caught(
      client.cardkit.v1.card.create({ data: { type: 'card_json', data: '{"schema":"2.0","body":{"elements":[]}}' } }),
    );
    const link = `https://open.feishu.cn/app/${APP.appId}/auth?q=cardkit:card:write&op_from=openapi&token_type=tenant`;
    expect(scopeGrantUrl(APP.appId, ['cardkit:card:write'])).toBe(link);
    expect(denied.response).toMatchObject({
      status: 400,
      data: {
        code: 99991672,
        error: { permission_violations: [{ type: 'action_scope_required', subject: 'cardkit:card:write' }], helps: [{ url: link }] },
      },
    });
    expect(denied.response?.data.msg).toContain(`点击链接申请并开通任一权限即可：${link}`);
    expect(denied.response?.data.error?.log_id).toBe(denied.response?.headers['x-tt-logid']);

    const { messageId } = fake.pushMessage(APP.appId, { text: 'hi' });
    await expect(
      client.im.v1.messageReaction.create({ path: { message_id: messageId }, data: { reaction_type: { emoji_type: 'OK' } } }),
    ).resolves.toMatchObject({ code: 0 });
    await expect(
      client.im.v1.message.reply({ path: { message_id: messageId }, data: { msg_type: 'text', content: '{"text":"x"}' } }),
    ).resolves.toMatchObject({ code: 0 });
    const read = await caught(client.im.v1.message.get({ path: { message_id: messageId } }));
    expect(read.response?.data.error?.permission_violations).toEqual([
      { type: 'action_scope_required', subject: 'im:message' },
      { type: 'action_scope_required', subject: 'im:message:readonly' },
    ]);
    expect(
      await codeOf(client.im.v1.messageResource.get({ path: { message_id: messageId, file_key: 'k' }, params: { type: 'file' } })),
    ).toBe(99991672);

    const list = await client.application.v6.scope.list();
    const status = Object.fromEntries((list.data?.scopes ?? []).map((s) => [s.scope_name, s.grant_status]));
    expect(status).toMatchObject({
      'im:message:send_as_bot': 1,
      'im:message.reactions:write_only': 1,
      'cardkit:card:write': 2,
      'im:message': 2,
    });

    fake.setGrantedScopes(APP.appId, undefined);
    await expect(
      client.cardkit.v1.card.create({ data: { type: 'card_json', data: '{"schema":"2.0","body":{"elements":[]}}' } }),
    ).resolves.toMatchObject({ code: 0 });
    const all = await client.application.v6.scope.list();
    expect(all.data?.scopes?.every((s) => s.grant_status === 1)).toBe(true);
  });
});

describe('fake-lark card callback', () => {
  it('delivers the lark/README.md §3.5 envelope and exposes the decoded response with its latency', async () => {
    const fake = await startFake();
    let received: Record<string, unknown> | undefined;
    const ws = new lark.WSClient({
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: fake.url,
      loggerLevel: lark.LoggerLevel.error,
      logger: silentLogger,
    });
    onCleanup(() => ws.close({ force: true }));
    const dispatcher = new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.error, logger: silentLogger }).register({
      'card.action.trigger': (data: Record<string, unknown>) => {
        received = data;
        return { toast: { type: 'info', content: 'Saved' }, card: { type: 'raw', data: { schema: '2.0', body: { elements: [] } } } };
      },
    });
    void ws.start({ eventDispatcher: dispatcher });
    await fake.waitForConnections(APP.appId);

    const push = fake.pushCardAction(APP.appId, {
      openMessageId: 'om_card',
      openChatId: 'oc_chat',
      operatorOpenId: 'ou_clicker',
      value: { k: 'v' },
      tag: 'button',
      name: 'submit',
      formValue: { note: 'hello' },
    });
    const record = await fake.waitForAck(push.pushId);
    expect(record.ackData).toEqual({
      toast: { type: 'info', content: 'Saved' },
      card: { type: 'raw', data: { schema: '2.0', body: { elements: [] } } },
    });
    expect(record.ackLatencyMs).toBeGreaterThanOrEqual(0);
    expect(received).toMatchObject({
      event_type: 'card.action.trigger',
      operator: { open_id: 'ou_clicker', union_id: expect.stringMatching(/^on_/), tenant_key: expect.any(String) },
      token: expect.stringMatching(/^c-/),
      action: { value: { k: 'v' }, tag: 'button', name: 'submit', form_value: { note: 'hello' } },
      host: 'im_message',
      context: { open_message_id: 'om_card', open_chat_id: 'oc_chat' },
    });
    expect(String(received?.create_time)).toMatch(/^\d{16}$/);
  });
});
