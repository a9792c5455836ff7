import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { FakeKocoro } from '../../fakes/kocoro/server';
import { FakeOpenAi } from '../../fakes/openai/server';
import { addLarkBot, expect, type KocoroUi, LARK_APP, pasteCredentials, screenshot, test } from '../../support/ui-fixtures';

/**
 * The preview chat (README "Try it and Preview"): the real UI against the real core, whose bot
 * runtime answers over the in-process preview platform. The fake Lark platform is there to show
 * that a preview never reaches it.
 */

/** Opens Try it from the introduction of a Connectors page with no bot. */
async function openTryIt(page: Page, kocoro: KocoroUi): Promise<Locator> {
  await page.goto(await kocoro.link());
  await page.getByRole('button', { name: 'Try it' }).click();
  const dialog = page.getByRole('dialog', { name: 'Try it' });
  await expect(dialog.getByRole('tab', { name: /Direct message/ })).toBeVisible();
  return dialog;
}

/** Opens the Preview of the one bot on the Connectors page. */
async function openPreview(page: Page, kocoro: KocoroUi, name: string): Promise<Locator> {
  await page.goto(await kocoro.link());
  await page.getByRole('button', { name: `Preview ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Preview of ${name}` });
  await expect(dialog.getByRole('tab', { name: /Direct message/ })).toBeVisible();
  return dialog;
}

async function write(dialog: Locator, text: string): Promise<void> {
  const box = dialog.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await expect(box).toHaveValue('');
}

const myMessages = (dialog: Locator) => dialog.locator('.pv-msg--me');
const botMessages = (dialog: Locator) => dialog.locator('.pv-msg--bot');

/** An agent on a fake OpenAI-compatible model. */
async function openAiAgent(kocoro: KocoroUi, model: FakeOpenAi, name: string): Promise<string> {
  const agent = await kocoro.call<{ id: string }>('agents.create', {
    name,
    provider: { type: 'openai', baseUrl: model.baseUrl, model: 'llama3.2', apiKey: 'sk-test' },
  });
  return agent.id;
}

test('on a fresh install, Try it answers a message with Echo in a streamed card', async ({ page, kocoro }) => {
  const dialog = await openTryIt(page, kocoro);
  await expect(dialog.getByLabel('Agent')).toHaveValue('echo');
  await write(dialog, 'hello from the team');
  await expect(myMessages(dialog).first()).toContainText('hello from the team');
  const answer = botMessages(dialog).first();
  await expect(answer.locator('.lk-card')).toContainText('hello from the team');
  // The answer is complete: the Typing reaction is gone from my message.
  await expect(myMessages(dialog).first().getByRole('img', { name: 'Typing' })).toHaveCount(0);
  await screenshot(page, 'preview-try-it');

  // The next step: the Add Bot dialog with the agent chosen (Echo made a real agent for it).
  await dialog.getByRole('button', { name: 'Add this agent to your Lark' }).click();
  const add = page.getByRole('dialog', { name: 'Add Lark Bot' });
  await expect(add).toBeVisible();
  await expect(dialog).toBeHidden();
  const agents = await kocoro.call<Array<{ id: string; name: string }>>('agents.list');
  expect(agents.map((a) => a.name)).toEqual(['Echo']);
});

test('Add this agent to your Lark opens Add Bot with the agent tried chosen, not the first one', async ({ page, kocoro, lark }) => {
  await kocoro.call('agents.create', { name: 'Alpha', provider: { type: 'echo' } });
  const dialog = await openTryIt(page, kocoro);
  await expect(dialog.getByLabel('Agent')).toHaveValue(/.+/);
  await dialog.getByLabel('Agent').selectOption({ label: 'Echo (built in)' });
  await write(dialog, 'hi');
  await expect(botMessages(dialog).first()).toContainText('hi');
  await dialog.getByRole('button', { name: 'Add this agent to your Lark' }).click();
  const add = page.getByRole('dialog', { name: 'Add Lark Bot' });
  await pasteCredentials(add, lark, LARK_APP);
  await add.getByRole('button', { name: 'Next' }).click();
  if (!(await add.getByText('Step 3/3').isVisible())) await add.getByRole('button', { name: 'Next' }).click();
  const agents = await kocoro.call<Array<{ id: string; name: string }>>('agents.list');
  const echo = agents.find((a) => a.name === 'Echo');
  expect(echo).toBeDefined();
  await expect(add.getByLabel('Choose Agent')).toHaveValue(echo!.id);
});

test('an attached file and image reach the bot as the client sends them', async ({ page, kocoro }) => {
  const dialog = await openTryIt(page, kocoro);
  const chooser = page.waitForEvent('filechooser');
  await dialog.getByRole('button', { name: 'Attach' }).click();
  // 3 MB: more than any other call carries, and the headless UI takes it (up to the preview's 10 MB).
  await (await chooser).setFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.alloc(3 * 1024 * 1024, 'the notes ') });
  await expect(dialog.getByRole('button', { name: 'Remove notes.txt' })).toBeVisible();
  await write(dialog, 'see the file');
  // A file goes as its own message, then the text: in the direct chat the bot answers both (Echo
  // cannot open files, and says so).
  await expect(myMessages(dialog).first()).toContainText('notes.txt');
  await expect(myMessages(dialog).nth(1)).toContainText('see the file');
  await expect(botMessages(dialog).filter({ hasText: 'notes.txt' }).first()).toBeVisible();
  await expect(botMessages(dialog).filter({ hasText: 'see the file' })).toHaveCount(1);

  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  const chooser2 = page.waitForEvent('filechooser');
  await dialog.getByRole('button', { name: 'Attach' }).click();
  await (await chooser2).setFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png });
  await write(dialog, 'and a picture');
  // An image with a caption is one rich-text message.
  await expect(myMessages(dialog)).toHaveCount(3);
  await expect(myMessages(dialog).nth(2)).toContainText('and a picture');
  await expect(botMessages(dialog).filter({ hasText: 'and a picture' })).toHaveCount(1);
});

test('in the group the bot answers only a message that @mentions it', async ({ page, kocoro }) => {
  const dialog = await openTryIt(page, kocoro);
  await dialog.getByRole('tab', { name: /Preview group/ }).click();
  const mention = dialog.getByRole('button', { name: '@Echo' });
  await expect(mention).toHaveAttribute('aria-pressed', 'true');
  await mention.click();
  await expect(mention).toHaveAttribute('aria-pressed', 'false');
  await write(dialog, 'talking among ourselves');
  await expect(myMessages(dialog)).toHaveCount(1);

  await mention.click();
  await write(dialog, 'now for the bot');
  await expect(myMessages(dialog).nth(1)).toContainText('@Echo');
  await expect(botMessages(dialog).first()).toContainText('now for the bot');
  // The messages of the one chat are answered in order: by now the first one had its chance, and got no answer.
  await expect(botMessages(dialog)).toHaveCount(1);
  await expect(botMessages(dialog).first()).not.toContainText('talking among ourselves');
  await expect(botMessages(dialog).first().locator('.pv-msg__quote')).toContainText('now for the bot');
  // Nothing leaked into the direct chat either.
  await dialog.getByRole('tab', { name: /Direct message/ }).click();
  await expect(myMessages(dialog)).toHaveCount(0);
  await expect(botMessages(dialog)).toHaveCount(0);
});

test.describe('with a slow model', () => {
  let model: FakeOpenAi;
  const words = Array.from({ length: 200 }, (_, i) => `word${i}`);
  test.beforeEach(async () => {
    model = await FakeOpenAi.start({ reply: () => words.join(' '), chunkChars: 8, chunkDelayMs: 60 });
  });
  test.afterEach(() => model.close());

  test('Stop on the streaming card stops the answer mid-way and the card says so', async ({ page, kocoro }) => {
    await openAiAgent(kocoro, model, 'Slow writer');
    const dialog = await openTryIt(page, kocoro);
    await dialog.getByLabel('Agent').selectOption({ label: 'Slow writer' });
    await write(dialog, 'write a lot');
    // While the bot works: the Typing reaction on my message, the text streaming in, a Stop button.
    await expect(myMessages(dialog).first().getByRole('img', { name: 'Typing' })).toBeVisible();
    const card = botMessages(dialog).first().locator('.lk-card');
    await expect(card).toContainText('word10');
    await card.getByRole('button', { name: 'Stop' }).click();
    await expect(card).toContainText('Stopped.');
    await expect(card.getByRole('button', { name: 'Stop' })).toHaveCount(0);
    await expect(myMessages(dialog).first().getByRole('img', { name: 'Typing' })).toHaveCount(0);
    await expect(card).not.toContainText('word199');
    // Still cut a moment later: the model's stream was abandoned, not just hidden.
    await page.waitForTimeout(1000);
    await expect(card).not.toContainText('word199');
  });
});

test.describe('with a Kocoro agent asking for approval', () => {
  let daemon: FakeKocoro;
  test.beforeEach(async () => {
    daemon = await FakeKocoro.start({
      tools: [{ tool: 'bash', args: { command: 'rm notes.txt', description: 'Delete the notes file' }, approval: true }],
      replyInDoneOnly: true,
    });
  });
  test.afterEach(() => daemon.close());

  test('Allow on the approval card in the preview lets the agent run the tool, and the answer follows', async ({ page, kocoro }) => {
    await kocoro.call('agents.create', {
      name: 'Kocoro',
      provider: { type: 'kocoro', url: daemon.url, stateDir: daemon.stateDir, agent: 'default' },
    });
    const dialog = await openTryIt(page, kocoro);
    await dialog.getByLabel('Agent').selectOption({ label: 'Kocoro' });
    await write(dialog, 'please delete my notes');
    const allow = dialog.getByRole('button', { name: 'Allow', exact: true });
    await expect(allow).toBeVisible();
    await screenshot(page, 'preview-approval');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'preview-approval-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await allow.click();
    await expect(dialog.getByRole('status').filter({ hasText: 'Allowed' })).toBeVisible();
    await expect.poll(() => daemon.approvals[0]?.decision).toBe('allow');
    await expect(botMessages(dialog).filter({ hasText: 'default says: please delete my notes' })).toHaveCount(1);
    await expect(dialog.getByRole('button', { name: 'Allow', exact: true })).toHaveCount(0);
  });
});

test.describe('with a long answer', () => {
  let model: FakeOpenAi;
  // 20,000 characters of words that each appear once: "第00000段 第00001段 …". Chinese, as a card's
  // budget is in bytes (24 KB): 20,000 such characters are about 30 KB, more than one card holds.
  const words = Array.from({ length: 2500 }, (_, i) => `第${String(i).padStart(5, '0')}段`);
  const text = words.join(' ');
  test.beforeEach(async () => {
    model = await FakeOpenAi.start({ reply: () => text, chunkChars: 2000, chunkDelayMs: 5 });
  });
  test.afterEach(() => model.close());

  test('a 20,000-character answer is split over several cards with every word in the preview', async ({ page, kocoro }) => {
    await openAiAgent(kocoro, model, 'Long writer');
    const dialog = await openTryIt(page, kocoro);
    await dialog.getByLabel('Agent').selectOption({ label: 'Long writer' });
    await write(dialog, 'tell me everything');
    await expect(myMessages(dialog).first().getByRole('img', { name: 'Typing' })).toHaveCount(0, { timeout: 30_000 });
    expect(text).toHaveLength(20_000 - 1);
    const cards = botMessages(dialog).locator('.lk-card');
    expect(await cards.count()).toBeGreaterThan(1);
    const shown = (await botMessages(dialog).locator('.pv-msg__body').allInnerTexts()).join(' ');
    const expected = text.split(' ');
    const missing = expected.filter((w) => !shown.includes(w));
    expect(missing).toEqual([]);
  });
});

test.describe('Preview of an existing bot', () => {
  let model: FakeOpenAi;
  test.beforeEach(async () => {
    model = await FakeOpenAi.start({
      reply: (r) => `Helper here. You wrote ${JSON.stringify(r.messages.at(-1)?.content ?? '')}. ${'More to say. '.repeat(20)}`,
      chunkChars: 6,
      chunkDelayMs: 60,
    });
  });
  test.afterEach(() => model.close());

  test('uses the bot’s agent, language and reply mode: Chinese card texts in the group, a post in the direct chat', async ({
    page,
    kocoro,
    lark,
  }) => {
    const agentId = await openAiAgent(kocoro, model, 'Helper');
    await addLarkBot(kocoro, lark, { agentId, displayName: 'Desk Helper', language: 'zh-CN', replyMode: { dm: 'message', group: 'card' } });
    const dialog = await openPreview(page, kocoro, 'Desk Helper');
    await expect(dialog.getByText('Helper', { exact: true })).toBeVisible();

    // Direct chat, `message` mode: the answer is a plain post, no card.
    await write(dialog, 'hello');
    const post = botMessages(dialog).first();
    await expect(post.locator('.lk-post')).toContainText('Helper here. You wrote');
    await expect(post.locator('.lk-card')).toHaveCount(0);
    await expect(myMessages(dialog).first().getByRole('img', { name: 'Typing' })).toHaveCount(0, { timeout: 20_000 });

    // The group, cards: while it streams, the Stop button speaks the bot's language.
    await dialog.getByRole('tab', { name: /Preview group/ }).click();
    await write(dialog, 'hello again');
    const card = botMessages(dialog).first().locator('.lk-card');
    await expect(card.getByRole('button', { name: '停止' })).toBeVisible();
    await expect(card).toContainText('hello again', { timeout: 20_000 });
    await expect(card.getByRole('button', { name: '停止' })).toHaveCount(0, { timeout: 20_000 });
    await expect(dialog.getByText('Simplified Chinese')).toBeVisible();
    // Once the answer is complete (the test browser may lack Chinese fonts for the Stop button).
    await screenshot(page, 'preview-bot');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'preview-bot-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});

/** Every file under `dir`, with its size and modification time, to see that nothing was written. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const stat = await fs.stat(full);
        out.push(`${path.relative(dir, full)} ${stat.size} ${stat.mtimeMs}`);
      }
    }
  };
  await walk(dir);
  return out.sort();
}

test('a preview writes nothing into the real bot’s folder and sends nothing to the platform', async ({ page, kocoro, lark }) => {
  await kocoro.call('agents.create', { name: 'Echo', provider: { type: 'echo' } });
  const bot = await addLarkBot(kocoro, lark, { displayName: 'Desk Helper' });
  const botId = (bot as { id: string }).id;
  await lark.waitForConnections(LARK_APP.appId);
  const botDir = path.join(kocoro.dataDir, 'bots', botId);
  const dialog = await openPreview(page, kocoro, 'Desk Helper');
  const before = await listing(botDir);
  const requestsBefore = lark.requests().length;
  // The real bot is there, connected, with its folder: the comparisons below are not of nothing.
  expect(before).not.toEqual([]);
  expect(requestsBefore).toBeGreaterThan(0);

  await write(dialog, 'a secret for the preview only');
  await expect(botMessages(dialog).first()).toContainText('a secret for the preview only');
  await dialog.getByRole('tab', { name: /Preview group/ }).click();
  await write(dialog, 'and one in the group');
  await expect(botMessages(dialog).first()).toContainText('and one in the group');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  expect(lark.sentMessages()).toEqual([]);
  expect(lark.requests().slice(requestsBefore)).toEqual([]);
  expect(await listing(botDir)).toEqual(before);
  // Nor anywhere else in the data folder (the chats' history, the bot store, the logs).
  const files = await listing(kocoro.dataDir);
  for (const f of files) {
    const content = await fs.readFile(path.join(kocoro.dataDir, f.split(' ')[0]!), 'utf8').catch(() => '');
    expect(content, f).not.toContain('a secret for the preview only');
  }
});

test.describe('in Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('Try it is in Chinese, looks like Feishu and answers', async ({ page, kocoro }) => {
    await page.goto(await kocoro.link());
    await page.getByRole('button', { name: '试一试' }).click();
    const dialog = page.getByRole('dialog', { name: '试一试' });
    await expect(dialog.getByLabel('外观')).toHaveValue('feishu');
    const box = dialog.getByRole('textbox', { name: '消息' });
    await box.fill('你好');
    await box.press('Enter');
    await expect(botMessages(dialog).first()).toContainText('你好');
    await expect(dialog.getByRole('button', { name: '将此智能体添加到你的飞书' })).toBeVisible();
  });
});
