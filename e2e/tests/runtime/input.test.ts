import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { messageContent, newFileKey, newImageKey } from '../../fakes/lark';
import type { ChatRequest } from '../../fakes/openai/server';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
afterEach(async () => {
  await h?.dispose();
});

const BOT = { key: '@_user_1', openId: APP.botOpenId, name: APP.botName, mentionedType: 'bot' as const };
const TOM = { key: '@_user_2', openId: 'ou_tom000000000000000000000000001', name: 'Tom', mentionedType: 'user' as const };
/** A tiny PNG header plus random bytes: enough to tell the exact bytes apart. */
const png = (): Buffer => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]);

/** The last message the model was given in request `i` (the user's turn). */
function lastMessage(request: ChatRequest | undefined): { role: string; content: unknown } {
  const message = request?.messages.at(-1);
  if (!message) throw new Error('no model request');
  return message;
}

async function started(agentId: 'model' | 'echo' | 'program' = 'model'): Promise<void> {
  await h.start(h.config([h.bot({ agentId })]));
  await h.lark.waitForConnections(APP.appId);
}

/** What the program agent was given (it answers with exactly that). */
async function programGot(): Promise<string> {
  const reply = h.lark.sentMessages().at(-1);
  return postText(reply!.content);
}

/** Pushes a message and waits until the bot has answered it. */
async function answered(input: Parameters<RuntimeHarness['lark']['pushMessage']>[1]): Promise<string> {
  const before = h.events('reply.sent').length;
  const { messageId } = h.lark.pushMessage(APP.appId, input);
  await h.waitForEvent('reply.sent', before + 1);
  return messageId;
}

describe('rich text and mentions', () => {
  it('gives the agent a post as markdown: bold, link, code block, and mentions of others by name', async () => {
    h = await RuntimeHarness.create();
    await started();
    await answered({
      chatType: 'group',
      chatId: 'oc_post',
      messageType: 'post',
      mentions: [BOT, TOM],
      content: messageContent.post('Release plan', [
        [
          { tag: 'at', user_id: '@_user_1', user_name: APP.botName },
          { tag: 'text', text: ' please check ' },
          { tag: 'text', text: 'this', style: ['bold'] },
          { tag: 'text', text: ' with ' },
          { tag: 'at', user_id: '@_user_2', user_name: 'Tom' },
        ],
        [{ tag: 'a', text: 'the doc', href: 'https://example.com/doc' }],
        [{ tag: 'code_block', language: 'GO', text: 'fmt.Println("hi")' }],
      ]),
    });
    expect(lastMessage(h.model.requests[0])).toEqual({
      role: 'user',
      content: '**Release plan**\n\nplease check **this** with @Tom\n[the doc](https://example.com/doc)\n\n```GO\nfmt.Println("hi")\n```',
    });
  });

  it("names other people mentioned in a text message and drops the bot's own mention", async () => {
    h = await RuntimeHarness.create();
    await started();
    await answered({ chatType: 'group', chatId: 'oc_text', text: '@_user_1 ask @_user_2 about it', mentions: [BOT, TOM] });
    expect(lastMessage(h.model.requests[0]).content).toBe('ask @Tom about it');
  });
});

describe('images', () => {
  it('gives an image message to a vision-capable agent as an image_url data URL with the exact bytes', async () => {
    h = await RuntimeHarness.create();
    await started();
    const key = newImageKey();
    const bytes = png();
    await answered({
      chatType: 'p2p',
      messageType: 'image',
      content: messageContent.image(key),
      resources: [{ fileKey: key, type: 'image', bytes, contentType: 'image/png' }],
    });
    expect(lastMessage(h.model.requests[0]).content).toEqual([
      { type: 'text', text: '[Image 1, attached.]' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${bytes.toString('base64')}` } },
    ]);
    const [download] = h.lark.requests({ path: new RegExp(`/resources/${key}$`) });
    expect(download?.query.type).toBe('image');
  });

  it("gives an image inside a post to the agent, next to the post's text", async () => {
    h = await RuntimeHarness.create();
    await started();
    const key = newImageKey();
    const bytes = png();
    await answered({
      chatType: 'p2p',
      messageType: 'post',
      content: messageContent.post('', [[{ tag: 'text', text: 'What is in this screenshot?' }], [{ tag: 'img', image_key: key }]]),
      resources: [{ fileKey: key, type: 'image', bytes, contentType: 'image/png' }],
    });
    expect(lastMessage(h.model.requests[0]).content).toEqual([
      { type: 'text', text: 'What is in this screenshot?\n[Image 1, attached.]' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${bytes.toString('base64')}` } },
    ]);
  });

  it('tells an agent that cannot see images what was sent, without downloading it', async () => {
    h = await RuntimeHarness.create();
    await started('echo');
    const key = newImageKey();
    const { messageId } = h.lark.pushMessage(APP.appId, {
      chatType: 'p2p',
      messageType: 'image',
      content: messageContent.image(key),
      resources: [{ fileKey: key, type: 'image', bytes: png(), contentType: 'image/png' }],
    });
    const [reply] = await h.lark.waitForMessages({ replyTo: messageId });
    expect(reply).toBeDefined();
    await h.waitForEvent('reply.sent');
    expect(h.lark.requests({ path: /\/resources\// })).toHaveLength(0);
    expect(h.events('agent.answered')[0]?.chars).toBe('[The user sent an image, which this agent cannot see.]'.length);
  });

  it('answers with a stand-in when the image cannot be downloaded', async () => {
    h = await RuntimeHarness.create();
    await started();
    // No resource registered: the platform answers 234003 "File not in msg".
    const key = newImageKey();
    await answered({ chatType: 'p2p', messageType: 'image', content: messageContent.image(key) });
    expect(lastMessage(h.model.requests[0]).content).toBe(
      '[The user sent an image, but it could not be fetched: the platform refused (code 234003: File not in msg).]',
    );
    expect(h.events('attachment.failed')).toHaveLength(1);
  });

  it('still answers when the download keeps failing on a server error, saying why', async () => {
    h = await RuntimeHarness.create();
    await started();
    const key = newImageKey();
    h.lark.failNext({ method: 'GET', path: /\/resources\// }, { status: 500, body: { code: 1, msg: 'internal error' } }, 10);
    await answered({
      chatType: 'p2p',
      messageType: 'image',
      content: messageContent.image(key),
      resources: [{ fileKey: key, type: 'image', bytes: png(), contentType: 'image/png' }],
    });
    expect(lastMessage(h.model.requests[0]).content).toMatch(
      /^\[The user sent an image, but it could not be fetched: the platform refused \(code 1: internal error\)\.\]$/,
    );
    // Retried like any platform call before giving up.
    expect(h.lark.requests({ path: /\/resources\// }).length).toBe(4);
  });
});

describe('files', () => {
  it("saves a file to the bot's data folder and tells the agent its name and path", async () => {
    h = await RuntimeHarness.create();
    await started('program');
    const key = newFileKey();
    const bytes = Buffer.from('quarterly numbers\n1,2,3\n');
    const messageId = await answered({
      chatType: 'p2p',
      messageType: 'file',
      content: messageContent.file(key, 'report.csv'),
      resources: [{ fileKey: key, type: 'file', bytes, contentType: 'text/csv', fileName: 'report.csv' }],
    });
    const file = path.join(h.dataDir, 'bots', 'team-bot', 'files', messageId, 'report.csv');
    expect(await fs.readFile(file)).toEqual(bytes);
    expect(await programGot()).toBe(`[The user sent the file "report.csv" (${bytes.byteLength} B), saved at ${file}]`);
    expect(h.lark.requests({ path: new RegExp(`/resources/${key}$`) })[0]?.query.type).toBe('file');
  });

  it('keeps a file name from escaping the folder', async () => {
    h = await RuntimeHarness.create();
    await started('program');
    const key = newFileKey();
    const messageId = await answered({
      chatType: 'p2p',
      messageType: 'file',
      content: messageContent.file(key, '../../evil.sh'),
      resources: [{ fileKey: key, type: 'file', bytes: Buffer.from('x'), contentType: 'text/plain' }],
    });
    const dir = path.join(h.dataDir, 'bots', 'team-bot', 'files', messageId);
    expect(await fs.readdir(dir)).toEqual(['evil.sh']);
  });

  it('does not download a file over 20 MB and tells the agent so', async () => {
    h = await RuntimeHarness.create();
    await started('program');
    const key = newFileKey();
    const bytes = Buffer.alloc(21 * 1024 * 1024, 7);
    const messageId = await answered({
      chatType: 'p2p',
      messageType: 'file',
      content: messageContent.file(key, 'dump.bin'),
      resources: [{ fileKey: key, type: 'file', bytes, contentType: 'application/octet-stream', fileName: 'dump.bin' }],
    });
    expect(await programGot()).toBe(
      '[The user sent the file "dump.bin" (21.0 MB), which is over the 20 MB limit and was not downloaded.]' +
        '\n\n_The file "dump.bin" was not kept: it is over the 20 MB limit._',
    );
    await expect(fs.stat(path.join(h.dataDir, 'bots', 'team-bot', 'files', messageId))).rejects.toThrow();
  });

  it("reports a file beyond the platform's own download limit", async () => {
    h = await RuntimeHarness.create();
    await started('program');
    const key = newFileKey();
    await answered({
      chatType: 'p2p',
      messageType: 'file',
      content: messageContent.file(key, 'huge.mp4'),
      resources: [
        { fileKey: key, type: 'file', bytes: Buffer.from('x'), contentType: 'video/mp4', fileName: 'huge.mp4', size: 101 * 1024 * 1024 },
      ],
    });
    expect(await programGot()).toBe(
      '[The user sent the file "huge.mp4", but it could not be fetched: it is larger than the platform allows downloading (100 MB).]' +
        '\n\n_The file "huge.mp4" could not be fetched or saved._',
    );
  });
});

describe('other message types', () => {
  it('describes voice messages, videos, stickers, cards and merged forwards in words', async () => {
    h = await RuntimeHarness.create();
    await started();
    const sender = (n: number) => `ou_sender00000000000000000000000${n}`;
    await answered({ chatType: 'p2p', senderOpenId: sender(1), messageType: 'audio', content: messageContent.audio(newFileKey(), 12_000) });
    await answered({ chatType: 'p2p', senderOpenId: sender(2), messageType: 'sticker', content: messageContent.sticker(newFileKey()) });
    await answered({ chatType: 'p2p', senderOpenId: sender(3), messageType: 'merge_forward', content: messageContent.mergeForward() });
    await answered({
      chatType: 'p2p',
      senderOpenId: sender(4),
      messageType: 'media',
      content: messageContent.media(newFileKey(), newImageKey(), 'clip.mp4', 5_000),
    });
    await answered({
      chatType: 'p2p',
      senderOpenId: sender(5),
      messageType: 'interactive',
      content: messageContent.interactive('Deploy?', [
        [{ tag: 'text', text: 'Ship version 2.1' }],
        [{ tag: 'button', text: 'Approve', type: 'primary' }],
      ]),
    });
    expect(h.model.requests.map((r) => lastMessage(r).content)).toEqual([
      '[The user sent a voice message (12 s), which this agent cannot hear.]',
      '[The user sent a sticker.]',
      '[The user forwarded a bundle of chat messages (merged forward), whose content is not available to this agent.]',
      '[The user sent a video "clip.mp4" (5 s), which this agent cannot watch.]',
      '[The user sent a card with this text:]\n**Deploy?**\nShip version 2.1\nApprove',
    ]);
  });
});

describe('replies to earlier messages', () => {
  it("puts the replied-to message before the user's text, as a quote", async () => {
    h = await RuntimeHarness.create();
    await started();
    // Said in the group without mentioning the bot, so the bot never saw it.
    const parent = h.lark.pushMessage(APP.appId, {
      chatType: 'group',
      chatId: 'oc_quote',
      senderOpenId: TOM.openId,
      text: 'The release moves to Friday.\nQA signs off Thursday.',
    });
    await h.lark.waitForAck(parent.push.pushId);
    await answered({
      chatType: 'group',
      chatId: 'oc_quote',
      text: '@_user_1 is that right? cc @_user_2',
      mentions: [BOT, TOM],
      parentId: parent.messageId,
      rootId: parent.messageId,
    });
    expect(lastMessage(h.model.requests[0]).content).toBe(
      '> Replying to a message from Tom:\n> The release moves to Friday.\n> QA signs off Thursday.\n\nis that right? cc @Tom',
    );
  });

  it('goes on without the quote when the parent cannot be read', async () => {
    h = await RuntimeHarness.create();
    await started();
    await answered({ chatType: 'p2p', text: 'and this?', parentId: 'om_gone0000000000000000000000000001' });
    expect(lastMessage(h.model.requests[0]).content).toBe('and this?');
    expect(h.events('message.parent_unavailable')).toHaveLength(1);
  });
});
