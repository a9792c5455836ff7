import { postText } from '../../support/runtime-harness';
import { addLarkBot, expect, LARK_APP, screenshot, test } from '../../support/ui-fixtures';

test.use({ kocoroConfig: { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] } });

test('late messages held for the owner are listed per chat, answered or skipped from the app', async ({ page, kocoro, lark }) => {
  await addLarkBot(kocoro, lark, { replyMode: { dm: 'message' }, backlog: 'hold' });
  await lark.waitForConnections(LARK_APP.appId);
  const late = Date.now() - 45 * 60_000;
  const ask = lark.pushMessage(LARK_APP.appId, {
    chatType: 'p2p',
    chatId: 'oc_dm_alice',
    text: 'can you check the report?',
    createTime: late,
  });
  lark.pushMessage(LARK_APP.appId, { chatType: 'p2p', chatId: 'oc_dm_bob', text: 'ignore this one', createTime: late });
  lark.pushMessage(LARK_APP.appId, { chatType: 'p2p', chatId: 'oc_dm_bob', text: 'and this', createTime: late });

  await page.goto(await kocoro.link());
  const section = page.getByRole('region', { name: 'Lark' });
  await expect(section.getByText('While you were away: 3 messages are waiting')).toBeVisible();
  await section.getByRole('button', { name: 'Review', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByText('can you check the report?')).toBeVisible();
  await screenshot(page, 'held-messages');

  const alice = dialog.getByRole('region').filter({ hasText: 'can you check the report?' });
  await alice.getByRole('button', { name: 'Answer', exact: true }).click();
  const [reply] = await lark.waitForMessages({ replyTo: ask.messageId });
  expect(postText(reply!.content)).toMatch(
    /^_You asked this at (\d{4}-\d\d-\d\d )?\d\d:\d\d, while I was offline\._\n\ncan you check the report\?$/,
  );
  await expect(dialog.getByText('can you check the report?')).toBeHidden();

  const bob = dialog.getByRole('region').filter({ hasText: 'ignore this one' });
  await bob.getByRole('button', { name: 'Skip all' }).click();
  await expect(dialog.getByText('Nothing is waiting.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(section.getByText(/While you were away/)).toBeHidden();
  expect(lark.sentMessages({ chatId: 'oc_dm_bob' })).toHaveLength(0);
});
