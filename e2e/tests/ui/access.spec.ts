import { addBotToStep3, addLarkBot, expect, LARK_APP, test } from '../../support/ui-fixtures';

const ECHO_CONFIG = { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] };
test.use({ kocoroConfig: ECHO_CONFIG });

test('access rules are edited with radios and people are picked by name, by keyboard', async ({ page, kocoro, lark }) => {
  lark.setContactUsers(LARK_APP.appId, [
    { openId: 'ou_alice0000000000000000000000001', name: 'Alice Wang' },
    { openId: 'ou_bob0000000000000000000000000001', name: 'Bob Li' },
  ]);
  await addLarkBot(kocoro, lark, { displayName: 'Desk Helper' });
  await page.goto(await kocoro.link());
  const section = page.getByRole('region', { name: 'Lark' });
  await section.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');

  const dm = edit.getByRole('group', { name: 'Who can message the bot directly' });
  await expect(dm.getByRole('radio', { name: 'Everyone in the organization' })).toBeChecked();
  await dm.getByRole('radio', { name: 'Only the people listed' }).check();
  const search = edit.getByRole('combobox', { name: 'People allowed to message the bot' });
  await search.fill('ali');
  await expect(edit.getByRole('option', { name: 'Alice Wang' })).toBeVisible();
  await search.press('Enter');
  await expect(edit.getByRole('button', { name: 'Remove Alice Wang' })).toBeVisible();
  await edit.getByRole('group', { name: 'In groups, the bot answers' }).getByRole('radio', { name: 'Never' }).check();
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const [bot] = await kocoro.call<Array<{ access: unknown }>>('bots.list');
  expect(bot!.access).toEqual({
    dm: 'allowlist',
    dmAllow: ['ou_alice0000000000000000000000001'],
    group: 'off',
    groupAllow: [],
    bots: 'ignore',
  });

  // Reopened: the chip shows the name, not the id; removing it and saving clears the list.
  await section.getByRole('button', { name: 'Edit' }).click();
  await edit.getByRole('button', { name: 'Remove Alice Wang' }).click();
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const [after] = await kocoro.call<Array<{ access: { dmAllow: string[] } }>>('bots.list');
  expect(after!.access.dmAllow).toEqual([]);
});

test('the picker says which permission is missing', async ({ page, kocoro, lark }) => {
  await addLarkBot(kocoro, lark);
  lark.setGrantedScopes(LARK_APP.appId, ['im:message']);
  await page.goto(await kocoro.link());
  await page.getByRole('region', { name: 'Lark' }).getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  await edit.getByRole('radio', { name: 'Only the people listed' }).check();
  await edit.getByRole('combobox', { name: 'People allowed to message the bot' }).fill('a');
  await expect(edit.getByRole('alert')).toContainText('lacks the contact permission (scope contact:contact.base:readonly)');
});

test('Add Bot step 3 has the access rules collapsed, and what is chosen there is saved', async ({ page, kocoro, lark }) => {
  const dialog = await addBotToStep3(page, kocoro, lark, 'lark');
  await expect(dialog.getByText('Step 3/3')).toBeVisible();

  const groups = dialog.getByRole('group', { name: 'In groups, the bot answers' });
  await expect(groups).toBeHidden();
  await dialog.getByText('Access', { exact: true }).click();
  await groups.getByRole('radio', { name: 'Every message (for groups made for the bot)' }).check();
  await dialog
    .getByRole('group', { name: 'Messages from other bots' })
    .getByRole('radio', { name: 'Answer when they @mention this bot' })
    .check();
  await dialog.getByLabel('Choose Agent').selectOption({ label: 'Echo' });
  await dialog.getByRole('button', { name: 'Register Bot' }).click();
  await expect(dialog.getByText(/Connected to the Open Platform/)).toBeVisible();
  const [bot] = await kocoro.call<Array<{ access: unknown }>>('bots.list');
  expect(bot!.access).toEqual({ dm: 'open', dmAllow: [], group: 'all', groupAllow: [], bots: 'mention' });
});
