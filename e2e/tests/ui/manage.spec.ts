import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { ReplicaRegistry } from '@core/runtime/stores/redis/redis-replicas';
import { MemoryLogger } from '../../support/memory-logger';
import { startPrivateRedis } from '../../support/redis-server';
import { FakeOpenAi } from '../../fakes/openai/server';
import { postText } from '../../support/runtime-harness';
import type { Page } from '@playwright/test';
import { addLarkBot, expect, LARK_APP, screenshot, test } from '../../support/ui-fixtures';

const ECHO_CONFIG = { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] };
test.use({ kocoroConfig: ECHO_CONFIG });

/** A Lark bot answering DMs in posts, connected, its row open on Connectors. */
async function openConnectedBot(page: Page, kocoro: Parameters<typeof addLarkBot>[0], lark: Parameters<typeof addLarkBot>[1]) {
  await addLarkBot(kocoro, lark, { replyMode: { dm: 'message' } });
  await lark.waitForConnections(LARK_APP.appId);
  const [connection] = lark.connections(LARK_APP.appId);
  await page.goto(await kocoro.link());
  const section = page.getByRole('region', { name: 'Lark' });
  await expect(section.getByText('Connected')).toBeVisible();
  return { section, connection };
}

test('a bot can be edited (agent, name, secret) and removed after confirmation', async ({ page, kocoro, lark }) => {
  await kocoro.call('agents.create', { name: 'Second', provider: { type: 'echo' } });
  await addLarkBot(kocoro, lark, { displayName: 'Desk Helper' });
  await lark.waitForConnections(LARK_APP.appId);
  await page.goto(await kocoro.link());
  const section = page.getByRole('region', { name: 'Lark' });
  await expect(section.getByText('Desk Helper')).toBeVisible();
  await expect(section.getByText('Connected')).toBeVisible();

  await section.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await expect(edit.getByLabel('App Secret', { exact: true })).toHaveValue('');
  // A replacement secret is checked before it is saved.
  await edit.getByLabel('App Secret', { exact: true }).fill('not-the-right-secret');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit.getByText(/did not accept this App Secret|App Secret is wrong/)).toBeVisible();
  await edit.getByLabel('App Secret', { exact: true }).fill(LARK_APP.appSecret);
  await edit.getByLabel('Display Name').fill('Support Bot');
  await edit.getByLabel('Choose Agent').selectOption({ label: 'Second' });
  await screenshot(page, 'edit-bot');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  await expect(section.getByText('Support Bot')).toBeVisible();
  const [bot] = await kocoro.call<Array<{ displayName: string; agentId: string }>>('bots.list');
  expect(bot).toMatchObject({ displayName: 'Support Bot', agentId: 'second' });

  await section.getByRole('button', { name: 'Pause' }).click();
  await expect(section.getByText('Paused')).toBeVisible();
  await expect.poll(() => lark.connections(LARK_APP.appId).length).toBe(0);
  await section.getByRole('button', { name: 'Resume' }).click();
  await expect(section.getByText('Connected')).toBeVisible();

  await section.getByRole('button', { name: 'Remove' }).click();
  const confirm = page.getByRole('dialog');
  await expect(confirm.getByText(/Support Bot/)).toBeVisible();
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(section.getByText('Support Bot')).toBeHidden();
  expect(await kocoro.call<unknown[]>('bots.list')).toEqual([]);
  await expect.poll(() => lark.connections(LARK_APP.appId).length).toBe(0);
});

test('the bot language is chosen in Edit and the next /help is answered in it, on the same connection', async ({ page, kocoro, lark }) => {
  const { section, connection } = await openConnectedBot(page, kocoro, lark);
  await section.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await expect(edit.getByLabel('Bot language')).toHaveValue('auto');
  await expect(edit.getByRole('option', { name: 'Automatic (English for Lark)' })).toBeAttached();
  await edit.getByLabel('Bot language').selectOption({ label: '简体中文' });
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const [bot] = await kocoro.call<Array<{ language: string }>>('bots.list');
  expect(bot!.language).toBe('zh-CN');

  const { messageId } = lark.pushMessage(LARK_APP.appId, { chatType: 'p2p', text: '/help' });
  const [reply] = await lark.waitForMessages({ replyTo: messageId });
  expect(postText(reply!.content)).toContain('可用命令：');
  expect(lark.connections(LARK_APP.appId).map((c) => c.id)).toEqual([connection!.id]);
});

test("a bot's row shows today's answers and median answer time, and Edit sets how many chats it answers at once", async ({
  page,
  kocoro,
  lark,
}) => {
  const { section, connection } = await openConnectedBot(page, kocoro, lark);
  await expect(section.getByLabel('Today')).toBeHidden();
  for (const [i, text] of ['first', 'second'].entries()) {
    const { messageId } = lark.pushMessage(LARK_APP.appId, { chatType: 'p2p', senderOpenId: `ou_person${i}0000000000000000000000`, text });
    await lark.waitForMessages({ replyTo: messageId });
  }
  const figures = section.getByLabel('Today');
  await expect(figures).toContainText('2 answers today');
  await expect(figures).toContainText(/median \d+\.\d s/);

  await section.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  const parallel = edit.getByLabel('Chats answered at the same time');
  await expect(parallel).toHaveValue('50');
  await parallel.fill('0');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit.getByText('Enter a whole number from 1 to 1000.')).toBeVisible();
  await parallel.fill('64');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const [bot] = await kocoro.call<Array<{ maxConcurrentAnswers: number }>>('bots.list');
  expect(bot!.maxConcurrentAnswers).toBe(64);
  // Taken by the running bot: no new connection.
  expect(lark.connections(LARK_APP.appId).map((c) => c.id)).toEqual([connection!.id]);
});

test('a new OpenAI-compatible agent is created on the Agents page and its Test box streams the answer', async ({ page, kocoro }) => {
  const model = await FakeOpenAi.start({
    apiKey: 'sk-ui-test-key',
    chunkChars: 2,
    chunkDelayMs: 60,
    reply: (r) => `Streaming reply to: ${String(r.messages.at(-1)?.content)}`,
  });
  try {
    await page.goto(await kocoro.link());
    await page.getByRole('navigation').getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByLabel('Name').fill('Research Assistant');
    await page.getByLabel('System prompt').fill('You are a careful researcher.');
    await page.getByLabel('Provider').selectOption('openai');
    await page.getByLabel('Base URL').fill(model.baseUrl);
    await page.getByLabel('Model').fill('local-model');
    await page.getByLabel('API key').fill('sk-ui-test-key');
    await page.getByRole('button', { name: 'Save' }).click();
    const card = page.getByRole('article').filter({ hasText: 'Research Assistant' });
    await expect(card).toBeVisible();

    await card.getByLabel(/Test message/).fill('what is new?');
    await card.getByRole('button', { name: 'Send' }).click();
    // Deltas show up as they stream: a partial answer first, then the whole of it.
    await expect(card.getByText(/^Streaming re/)).toBeVisible();
    await expect(card.getByText('Streaming reply to: what is new?', { exact: true })).toBeVisible();
    await screenshot(page, 'agents');
    expect(model.requests[0]).toMatchObject({
      model: 'local-model',
      messages: [
        { role: 'system', content: 'You are a careful researcher.' },
        { role: 'user', content: 'what is new?' },
      ],
    });

    const agents = await kocoro.call<unknown[]>('agents.list');
    expect(JSON.stringify(agents)).not.toContain('sk-ui-test-key');
    expect(agents).toContainEqual(
      expect.objectContaining({ name: 'Research Assistant', provider: expect.objectContaining({ type: 'openai', hasApiKey: true }) }),
    );
  } finally {
    await model.close();
  }
});

test('the UI server refuses requests without the per-run token', async ({ page, kocoro, request }) => {
  const call = await request.post(`${kocoro.origin}/api/call`, { data: { method: 'bots.list', input: {} } });
  expect(call.status()).toBe(401);
  // Without a sign-in link the page loads (it holds no secret) but can do nothing, and says how to get a link.
  await page.goto(kocoro.origin + '/');
  await expect(page.getByRole('heading', { name: 'Kocoro needs a sign-in link' })).toBeVisible();
  await expect(page.getByText('npm run headless -- --link')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Feishu' })).toBeHidden();
  // With the printed link (opened in the same tab: only its fragment changes) the page works, and
  // the one-time code leaves the address bar at once.
  await page.goto(kocoro.printedLink);
  await expect(page.getByRole('region', { name: 'Feishu' })).toBeVisible();
  expect(page.url()).toBe(`${kocoro.origin}/`);
  // A reload keeps working: the tab keeps the token in its session storage.
  await page.reload();
  await expect(page.getByRole('region', { name: 'Feishu' })).toBeVisible();
});

test('the access token never reaches another server on 127.0.0.1 the same browser visits', async ({ page, kocoro }) => {
  const seen: Array<{ url: string; headers: Record<string, unknown> }> = [];
  const other = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>other</title><p>another local server</p>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  try {
    await page.goto(await kocoro.link());
    await expect(page.getByRole('region', { name: 'Feishu' })).toBeVisible();
    await page.goto(`${otherOrigin}/`);
    await page.evaluate(() => fetch('/probe', { credentials: 'include' }));
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const request of seen) {
      expect(request.headers.cookie, request.url).toBeUndefined();
      expect(JSON.stringify(request)).not.toContain(kocoro.token);
    }
    // Nor can that server's page read it from storage: session storage is per origin.
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage, cookie: document.cookie }))).not.toContain(
      kocoro.token,
    );
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
});

test('settings say how secrets are protected in headless mode', async ({ page, kocoro }) => {
  await page.goto(await kocoro.link());
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByText(/readable only by your user account/)).toBeVisible();
  await page.getByLabel('Language').selectOption('zh-CN');
  await expect(page.getByRole('navigation').getByRole('link', { name: '智能体' })).toBeVisible();
});

test.describe('on a shared state store (--state)', () => {
  // The core keeps its bots' state in a private Redis (KOCORO_STATE), where other processes may run the same app.
  test.use({
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a function needs from its first parameter.
    kocoroEnv: async ({}, use) => {
      const redis = await startPrivateRedis();
      await use({ KOCORO_STATE: redis.url });
      await redis.dispose();
    },
  });

  test("a bot's row shows its replicas: each one's host, pid and start, this one marked", async ({ page, kocoro, lark, kocoroEnv }) => {
    await addLarkBot(kocoro, lark);
    await lark.waitForConnections(LARK_APP.appId);
    // Another process on the same app and Redis (another machine, say), registered as the core's own are.
    const client = new Redis(kocoroEnv!.KOCORO_STATE!);
    const since = new Date(Date.now() - 3 * 60_000).toISOString();
    const other = new ReplicaRegistry({
      client,
      appId: LARK_APP.appId,
      me: { id: 'replica-b', host: 'replica-b.internal', pid: 4242, since },
      logger: new MemoryLogger(),
    });
    await other.register();
    try {
      await page.goto(await kocoro.link());
      const section = page.getByRole('region', { name: 'Lark' });
      await expect(section.getByText('Connected')).toBeVisible();
      // The bot reads its replicas every few seconds.
      const summary = section.getByText('Replicas: 2');
      await expect(summary).toBeVisible({ timeout: 15_000 });
      await summary.click();
      const list = section.getByRole('list', { name: 'Processes running this bot on the shared state store' });
      await expect(list.getByRole('listitem')).toHaveCount(2);
      // Oldest first: the other one started three minutes ago, this one just now.
      await expect(list.getByRole('listitem').first()).toHaveText(/^replica-b\.internal · pid 4242 · started 3 min ago$/);
      await expect(list.getByRole('listitem').last()).toHaveText(/^\S+ · pid \d+ · started just now\s*this one$/);
      await screenshot(page, 'connectors-replicas');

      await other.close();
      await expect(section.getByText('Replicas: 1')).toBeVisible({ timeout: 15_000 });
    } finally {
      await other.close();
      client.disconnect();
    }
  });
});
