import { permissionsLink, REQUIRED_SCOPES } from '@shared/lark-console';
import { addBotToStep3, expect, FEISHU_APP, LARK_APP, screenshot, tabTo, test } from '../../support/ui-fixtures';

const ECHO_CONFIG = { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] };
test.use({ kocoroConfig: ECHO_CONFIG });

for (const [platform, label, app] of [
  ['feishu', 'Feishu', FEISHU_APP],
  ['lark', 'Lark', LARK_APP],
] as const) {
  test(`a new user registers a ${label} bot through the 3-step dialog and it answers a DM`, async ({ page, kocoro, lark }) => {
    await page.goto(await kocoro.link());
    const section = page.getByRole('region', { name: label });
    await section.getByRole('button', { name: 'Add Bot' }).click();

    const dialog = page.getByRole('dialog', { name: `Add ${label} Bot` });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByText('Step 1/3')).toBeVisible();

    // A malformed App ID is caught at once, before any network call.
    await dialog.getByLabel('App ID').fill('cli_123');
    await dialog.getByLabel('App Secret', { exact: true }).fill('not-the-secret');
    await dialog.getByText('Advanced').click();
    await dialog.getByLabel('Open Platform URL').fill(lark.url);
    await dialog.getByRole('button', { name: 'Next' }).click();
    await expect(dialog.getByText(/cli_ followed by 16 hex characters/)).toBeVisible();
    expect(lark.requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' })).toHaveLength(0);

    // A wrong secret is checked live against the platform and nothing typed is lost.
    await dialog.getByLabel('App ID').fill(app.appId);
    await dialog.getByRole('button', { name: 'Next' }).click();
    await expect(dialog.getByText(/App ID or App Secret is wrong/)).toBeVisible();
    await expect(dialog.getByLabel('App ID')).toHaveValue(app.appId);
    await expect(dialog.getByLabel('App Secret', { exact: true })).toHaveValue('not-the-secret');
    await screenshot(page, `${platform}-step-1-wrong-secret`);

    await dialog.getByLabel('App Secret', { exact: true }).fill(app.appSecret);
    await dialog.getByRole('button', { name: 'Next' }).click();
    await expect(dialog.getByText('Step 2/3')).toBeVisible();

    // Step 2: the permissions link pre-fills exactly the guide's 10 scopes for this app.
    const link = dialog.getByRole('link', { name: 'Open permissions page' });
    await expect(link).toHaveAttribute('href', permissionsLink(platform, app.appId, REQUIRED_SCOPES));
    expect(new URL((await link.getAttribute('href'))!).searchParams.get('q')!.split(',')).toHaveLength(10);
    await dialog.getByLabel('Encrypt Key').fill('encrypt-key-123');
    await screenshot(page, `${platform}-step-2-checklist`);
    await dialog.getByRole('button', { name: 'Next' }).click();
    // A gentle reminder when the checklist is not ticked; pressing Next again goes on.
    if (!(await dialog.getByText('Step 3/3').isVisible())) await dialog.getByRole('button', { name: 'Next' }).click();
    await expect(dialog.getByText('Step 3/3')).toBeVisible();

    // Step 3: agent, name, register, then the live checklist.
    await dialog.getByLabel('Choose Agent').selectOption({ label: 'Echo' });
    await dialog.getByLabel('Display Name').fill(`${label} Team Bot`);
    await dialog.getByRole('button', { name: 'Register Bot' }).click();
    await expect(dialog.getByText(/Connected to the Open Platform/)).toBeVisible();
    await lark.waitForConnections(app.appId);
    await expect(dialog.getByText(/Waiting for your first message/)).toBeVisible();
    await screenshot(page, `${platform}-step-3-live`);

    const dm = lark.pushMessage(app.appId, { chatType: 'p2p', text: `hello ${label}` });
    const [reply] = await lark.waitForMessages({ replyTo: dm.messageId });
    // A bot made in the UI answers with a streaming card (the default reply mode).
    expect(reply!.cardId).toBeTruthy();
    await expect.poll(() => lark.cardText(reply!.cardId!)).toContain(`hello ${label}`);
    await expect(dialog.getByText(`hello ${label}`)).toBeVisible();
    await screenshot(page, `${platform}-step-3-answered`);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(dialog).toBeHidden();

    await expect(section.getByText(`${label} Team Bot`)).toBeVisible();
    await expect(section.getByText('Connected')).toBeVisible();
    await screenshot(page, `${platform}-connectors`);
    await page.emulateMedia({ colorScheme: 'dark' });
    // Let the 120 ms colour transitions finish so the picture shows the dark theme, not a blend.
    await page.waitForTimeout(400);
    await screenshot(page, `${platform}-connectors-dark`);
    // The secret never comes back to the UI.
    const bots = await kocoro.call<unknown[]>('bots.list');
    expect(JSON.stringify(bots)).not.toContain(app.appSecret);
    expect(JSON.stringify(bots)).not.toContain('encrypt-key-123');
  });
}

test('the whole dialog can be completed with the keyboard alone', async ({ page, kocoro, lark }) => {
  await page.goto(await kocoro.link());
  const section = page.getByRole('region', { name: 'Feishu' });
  await tabTo(page, section.getByRole('button', { name: 'Add Bot' }));
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Add Feishu Bot' });
  await expect(dialog).toBeVisible();

  await tabTo(page, dialog.getByLabel('App ID'));
  await page.keyboard.type(FEISHU_APP.appId);
  await tabTo(page, dialog.getByLabel('App Secret', { exact: true }));
  await page.keyboard.type(FEISHU_APP.appSecret);
  await tabTo(page, dialog.getByText('Advanced'));
  await page.keyboard.press('Enter');
  await tabTo(page, dialog.getByLabel('Open Platform URL'));
  await page.keyboard.type(lark.url);
  await tabTo(page, dialog.getByRole('button', { name: 'Next' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('Step 2/3')).toBeVisible();

  for (const box of await dialog.getByRole('checkbox').all()) {
    await tabTo(page, box);
    await page.keyboard.press('Space');
  }
  await tabTo(page, dialog.getByRole('button', { name: 'Next' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('Step 3/3')).toBeVisible();

  await tabTo(page, dialog.getByLabel('Choose Agent'));
  await page.keyboard.press('ArrowDown');
  await expect(dialog.getByLabel('Choose Agent')).toHaveValue('echo');
  await tabTo(page, dialog.getByRole('button', { name: 'Register Bot' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText(/Connected to the Open Platform/)).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Done' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(section.getByText('Connected')).toBeVisible();
});

test('step 1 tells an unknown app, a wrong secret and an unreachable platform apart, keeping what was typed', async ({
  page,
  kocoro,
  lark,
}) => {
  await page.goto(await kocoro.link());
  await page.getByRole('region', { name: 'Feishu' }).getByRole('button', { name: 'Add Bot' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add Feishu Bot' });
  await dialog.getByText('Advanced').click();
  await dialog.getByLabel('Open Platform URL').fill(lark.url);

  await dialog.getByLabel('App ID').fill('cli_0000000000000000');
  await dialog.getByLabel('App Secret', { exact: true }).fill('whatever-secret');
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText(/Feishu has no app with this App ID/)).toBeVisible();

  await dialog.getByLabel('App ID').fill(FEISHU_APP.appId);
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText(/App ID or App Secret is wrong/)).toBeVisible();
  await expect(dialog.getByText(/has no app with this App ID/)).toBeHidden();

  // A platform that does not answer at all: a closed port on loopback.
  await dialog.getByLabel('Open Platform URL').fill('http://127.0.0.1:9');
  await dialog.getByLabel('App Secret', { exact: true }).fill(FEISHU_APP.appSecret);
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText(/could not reach the Feishu Open Platform/)).toBeVisible();
  await expect(dialog.getByText(/Cannot reach 127\.0\.0\.1:9/)).toBeVisible();
  await expect(dialog.getByLabel('App ID')).toHaveValue(FEISHU_APP.appId);
  await expect(dialog.getByLabel('App Secret', { exact: true })).toHaveValue(FEISHU_APP.appSecret);
  await expect(dialog.getByText('Step 1/3')).toBeVisible();
  await screenshot(page, 'feishu-step-1-network');
});

test.describe('with no agent yet', () => {
  test.use({ kocoroConfig: undefined });

  test('step 3 offers to create an agent on the spot, without losing the dialog', async ({ page, kocoro, lark }) => {
    const dialog = await addBotToStep3(page, kocoro, lark, 'feishu');
    await expect(dialog.getByText(/You have no agent yet/)).toBeVisible();

    await dialog.getByRole('button', { name: 'Create an agent' }).click();
    await dialog.getByLabel('Name').fill('First Agent');
    await dialog.getByLabel('Provider').selectOption('echo');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.getByLabel('Choose Agent')).toHaveValue('first-agent');
    await expect(dialog.getByText('Step 3/3')).toBeVisible();

    await dialog.getByRole('button', { name: 'Register Bot' }).click();
    await expect(dialog.getByText(/Connected to the Open Platform/)).toBeVisible();
    const dm = lark.pushMessage(FEISHU_APP.appId, { chatType: 'p2p', text: 'first words' });
    await lark.waitForMessages({ replyTo: dm.messageId });
    await expect(dialog.getByText(/first words/)).toBeVisible();
  });
});

test('step 2 says what the Encrypt Key is for; a webhook bot needs its token and shows its request URL with a copy button', async ({
  page,
  kocoro,
  lark,
}) => {
  await page.goto(await kocoro.link());
  const section = page.getByRole('region', { name: 'Feishu' });
  await section.getByRole('button', { name: 'Add Bot' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add Feishu Bot' });
  await dialog.getByLabel('App ID').fill(FEISHU_APP.appId);
  await dialog.getByLabel('App Secret', { exact: true }).fill(FEISHU_APP.appSecret);
  await dialog.getByText('Advanced').click();
  await dialog.getByLabel('Open Platform URL').fill(lark.url);
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 2/3')).toBeVisible();

  // The Encrypt Key is optional on the long connection, and says so; this server offers a request URL.
  await expect(dialog.getByText(/only needed if Kocoro receives events on a request URL/)).toBeVisible();
  await expect(dialog.getByLabel('Verification Token')).toHaveCount(0);
  await dialog.getByRole('radio', { name: /Request URL/ }).check();
  await expect(dialog.getByLabel('Verification Token')).toBeVisible();
  for (const box of await dialog.getByRole('checkbox').all()) await box.check();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText(/needs the Encrypt Key/)).toBeVisible();
  await expect(dialog.getByText(/needs the Verification Token/)).toBeVisible();
  await dialog.getByLabel('Encrypt Key').fill('encrypt-key-123');
  await dialog.getByLabel('Verification Token').fill('verification-token-456');
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 3/3')).toBeVisible();
  await dialog.getByLabel('Choose Agent').selectOption({ label: 'Echo' });
  await dialog.getByRole('button', { name: 'Register Bot' }).click();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();

  // No public URL yet: the row says so and where to set it; once set, the full URL with a copy button.
  await expect(section.getByText(/No request URL yet/)).toBeVisible();
  await section.getByRole('link', { name: 'Open Settings' }).click();
  const publicUrl = page.getByRole('region', { name: 'Public URL of this server' });
  await publicUrl.getByLabel('Public URL').fill('bots.example.com');
  await publicUrl.getByRole('button', { name: 'Save URL' }).click();
  await expect(publicUrl.getByText(/Enter an http\(s\) URL/)).toBeVisible();
  await publicUrl.getByLabel('Public URL').fill('https://bots.example.com/');
  await publicUrl.getByRole('button', { name: 'Save URL' }).click();
  await expect(publicUrl.getByText('Saved.')).toBeVisible();
  await expect(publicUrl.getByLabel('Public URL')).toHaveValue('https://bots.example.com');
  await page.getByRole('link', { name: 'Connectors' }).click();
  const bots = await kocoro.call<Array<{ id: string; receive: string; hasVerificationToken: boolean }>>('bots.list');
  expect(bots[0]).toMatchObject({ receive: 'webhook', hasVerificationToken: true });
  await expect(section.getByText(`https://bots.example.com/webhook/${bots[0]!.id}`)).toBeVisible();
  await expect(section.getByRole('button', { name: 'Copy URL' })).toBeVisible();
  expect(JSON.stringify(bots)).not.toContain('verification-token-456');
  await screenshot(page, 'feishu-webhook-row');
});
