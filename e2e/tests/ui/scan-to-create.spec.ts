import type { Locator, Page } from '@playwright/test';
import type { FakeLarkPlatform, FakeRegistration } from '../../fakes/lark';
import { expect, FEISHU_APP, type KocoroUi, pasteCredentials, screenshot, test } from '../../support/ui-fixtures';

const ECHO_CONFIG = { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] };
// The fake serves the registration device flow over HTTPS; the core is pointed at it and trusts its certificate.
test.use({ kocoroConfig: ECHO_CONFIG, accountsTls: true });

/** The app the scan creates in the fake, and the person who scans. */
const NEW_APP = { appId: 'cli_00000000000000ab', appSecret: 'secret-from-the-scan-0001', openId: 'ou_scanner0000000000000001' };
const OWNER_BOX = `Make ${NEW_APP.openId} an approver and allow their direct messages`;

interface BotListItem {
  appId: string;
  platform: string;
  hasAppSecret: boolean;
  approvers: string[];
}

/**
 * Opens Add Feishu Bot and chooses to scan. The scanned app is checked and run on the Open Platform
 * the core was started with for its registrations (the fake's: `KOCORO_ACCOUNTS_HOSTS`); no URL is
 * typed for it, and none would be taken.
 */
async function startScan(page: Page, kocoro: KocoroUi): Promise<Locator> {
  await page.goto(await kocoro.link());
  await page.getByRole('region', { name: 'Feishu' }).getByRole('button', { name: 'Add Bot' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add Feishu Bot' });
  await expect(dialog.getByRole('radio', { name: 'Paste the credentials of an existing app' })).toBeChecked();
  await dialog.getByRole('radio', { name: 'Create the app by scanning a QR code' }).check();
  await expect(dialog.getByLabel('Open Platform URL')).toHaveCount(0);
  return dialog;
}

/** The QR code is on screen as a data: SVG image, with its countdown and its link (that of the registration shown). */
async function expectQrCode(dialog: Locator, reg: () => FakeRegistration | undefined, countdown: RegExp): Promise<void> {
  const image = dialog.getByRole('img', { name: 'QR code that creates the app in Feishu' });
  await expect(image).toBeVisible();
  const src = (await image.getAttribute('src')) ?? '';
  expect(src).toMatch(/^data:image\/svg\+xml;base64,/);
  expect(Buffer.from(src.split(',')[1] ?? '', 'base64').toString('utf8')).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
  await expect(dialog.getByRole('timer')).toHaveText(countdown);
  const open = dialog.getByRole('link', { name: 'Open on this device' });
  await expect(open).toHaveAttribute('href', new RegExp(`^https://open\\.feishu\\.cn/page/cli\\?user_code=${reg()!.userCode}&`));
  await expect(dialog.getByRole('button', { name: 'Copy link' })).toBeVisible();
}

/** After `done`: the App ID filled in, the secret kept by the core, the check passed, the scanner offered as owner. */
async function expectScanned(dialog: Locator, lark: FakeLarkPlatform): Promise<void> {
  await expect(dialog.getByText(`App created: ${NEW_APP.appId}`)).toBeVisible();
  await expect(dialog.getByLabel('App ID')).toHaveValue(NEW_APP.appId);
  const secret = dialog.getByLabel('App Secret', { exact: true });
  await expect(secret).toHaveValue('From the scan');
  await expect(secret).not.toBeEditable();
  await expect(dialog.getByText('Checked: Kocoro can connect to the new app.')).toBeVisible();
  // Checked live against the platform, with the secret the scan made.
  expect(
    lark
      .requests({ path: '/open-apis/auth/v3/tenant_access_token/internal' })
      .some((r) => JSON.stringify(r.body).includes(NEW_APP.appSecret)),
  ).toBe(true);
  await expect(dialog.getByRole('checkbox', { name: OWNER_BOX })).toBeChecked();
}

test('a new app is created by scanning the QR code, then registered as a bot that connects', async ({ page, kocoro, lark }) => {
  // The scanner approves after two "still pending" polls, one second apart.
  lark.registration.script({ pendingPolls: 2, interval: 1, outcome: 'approve', ...NEW_APP });
  const dialog = await startScan(page, kocoro);

  await expectQrCode(dialog, () => lark.registration.last(), /^(09:[45]\d|10:00)$/);
  await expect(dialog.getByText('Waiting for the scan…')).toBeVisible();

  await expectScanned(dialog, lark);
  await expect(dialog.getByRole('img', { name: /QR code/ })).toHaveCount(0);
  await screenshot(page, 'feishu-step-1-scanned');

  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 2/3')).toBeVisible();
  await dialog.getByRole('button', { name: 'Next' }).click();
  if (!(await dialog.getByText('Step 3/3').isVisible())) await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 3/3')).toBeVisible();
  await dialog.getByLabel('Choose Agent').selectOption({ label: 'Echo' });
  await dialog.getByRole('button', { name: 'Register Bot' }).click();
  await expect(dialog.getByText(/Connected to the Open Platform/)).toBeVisible();
  // The app the scan created exists in the fake: its credentials open the long connection.
  await lark.waitForConnections(NEW_APP.appId);

  const bots = await kocoro.call<BotListItem[]>('bots.list');
  expect(bots.find((b) => b.appId === NEW_APP.appId)).toMatchObject({
    platform: 'feishu',
    hasAppSecret: true,
    approvers: [NEW_APP.openId],
  });
  expect(JSON.stringify(bots)).not.toContain(NEW_APP.appSecret);
  expect(lark.registration.list()).toHaveLength(1);
});

test('an expired QR code says so, and "Try again" shows a new one that completes', async ({ page, kocoro, lark }) => {
  // Nobody scans within the code's 4 seconds.
  lark.registration.script({ pendingPolls: 100, interval: 1, expiresIn: 4 });
  const dialog = await startScan(page, kocoro);
  await expectQrCode(dialog, () => lark.registration.list()[0], /^00:0[1-4]$/);
  await screenshot(page, 'feishu-step-1-qr');

  await expect(dialog.getByText('The QR code expired', { exact: true })).toBeVisible();
  await expect(dialog.getByText(/expired before it was approved/)).toBeVisible();
  await expect(dialog.getByRole('img', { name: /QR code/ })).toHaveCount(0);
  await screenshot(page, 'feishu-step-1-qr-expired');

  lark.registration.script({ pendingPolls: 2, interval: 1, outcome: 'approve', ...NEW_APP });
  await dialog.getByRole('button', { name: 'Try again' }).click();
  await expect.poll(() => lark.registration.list().length).toBe(2);
  await expectQrCode(dialog, () => lark.registration.list()[1], /^(09:[45]\d|10:00)$/);
  expect(lark.registration.list()[1]!.userCode).not.toBe(lark.registration.list()[0]!.userCode);
  await expectScanned(dialog, lark);
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 2/3')).toBeVisible();

  // Closed before a bot was made with it: the core is told to forget the scan's secret.
  const cancelled: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/api/call') && request.method() === 'POST') {
      const body = request.postDataJSON() as { method?: string; input?: { registrationId?: string } };
      if (body.method === 'registration.cancel' && body.input?.registrationId) cancelled.push(body.input.registrationId);
    }
  });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => cancelled.length).toBe(1);
  expect(
    await kocoro.call('bots.checkCredentials', { platform: 'feishu', appId: NEW_APP.appId, registrationId: cancelled[0] }).then(
      () => 'accepted',
      (err: Error) => err.message,
    ),
  ).toMatch(/paste the App Secret/);
});

test('a declined scan says so, and "Paste credentials instead" goes back to the paste fields', async ({ page, kocoro, lark }) => {
  lark.registration.script({ pendingPolls: 1, interval: 1, outcome: 'deny' });
  const dialog = await startScan(page, kocoro);

  await expect(dialog.getByText('Creating the app was declined')).toBeVisible();
  await expect(dialog.getByText(/declined in the app on the phone/)).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Try again' })).toBeVisible();
  await screenshot(page, 'feishu-step-1-qr-declined');

  await dialog.getByRole('button', { name: 'Paste credentials instead' }).click();
  await expect(dialog.getByRole('radio', { name: 'Paste the credentials of an existing app' })).toBeChecked();
  await expect(dialog.getByLabel('App ID')).toBeEditable();
  await expect(dialog.getByLabel('App ID')).toBeFocused();
  await expect(dialog.getByLabel('App Secret', { exact: true })).toBeEditable();
  await expect(dialog.getByText('Creating the app was declined')).toBeHidden();

  // The paste path works as before, with its own Open Platform URL (the fake's).
  await pasteCredentials(dialog, lark, FEISHU_APP);
});

test('switching to paste, and closing the dialog, cancel the registration still waiting for its scan', async ({ page, kocoro, lark }) => {
  /** No more polls once cancelled (one already in flight may still land). */
  const expectStopped = async (reg: FakeRegistration) => {
    await page.waitForTimeout(1500);
    const polls = reg.polls.length;
    await page.waitForTimeout(2500);
    expect(reg.polls.length).toBe(polls);
  };

  lark.registration.script({ pendingPolls: 1000, interval: 1 });
  lark.registration.script({ pendingPolls: 1000, interval: 1 });
  const dialog = await startScan(page, kocoro);
  await expect(dialog.getByRole('img', { name: /QR code/ })).toBeVisible();
  await dialog.getByRole('radio', { name: 'Paste the credentials of an existing app' }).check();
  await expect(dialog.getByLabel('App ID')).toBeVisible();
  await expectStopped(lark.registration.list()[0]!);

  await dialog.getByRole('radio', { name: 'Create the app by scanning a QR code' }).check();
  await expect.poll(() => lark.registration.list().length).toBe(2);
  await expect(dialog.getByRole('img', { name: /QR code/ })).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expectStopped(lark.registration.list()[1]!);
});

test('a scan by a Lark organization from the Feishu dialog makes a Lark bot; the owner stays allowed under a DM allowlist', async ({
  page,
  kocoro,
  lark,
}) => {
  lark.registration.script({ pendingPolls: 1, interval: 1, outcome: 'approve', tenantBrand: 'lark', ...NEW_APP });
  const dialog = await startScan(page, kocoro);
  await expectScanned(dialog, lark);
  await expect(dialog.getByText('The app is on Lark, so the bot is added there.')).toBeVisible();
  expect(lark.registration.last()!.polls.some((p) => p.host === 'lark')).toBe(true);

  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 2/3')).toBeVisible();
  await dialog.getByRole('button', { name: 'Next' }).click();
  if (!(await dialog.getByText('Step 3/3').isVisible())) await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByLabel('Choose Agent').selectOption({ label: 'Echo' });
  await dialog.getByText('Access', { exact: true }).click();
  await dialog.getByRole('radio', { name: 'Only the people listed' }).check();
  await dialog.getByRole('button', { name: 'Register Bot' }).click();
  await expect(dialog.getByText(/Connected to the Open Platform/)).toBeVisible();

  const bots = await kocoro.call<Array<BotListItem & { access: { dm: string; dmAllow: string[] } }>>('bots.list');
  expect(bots.find((b) => b.appId === NEW_APP.appId)).toMatchObject({
    platform: 'lark',
    hasAppSecret: true,
    approvers: [NEW_APP.openId],
    access: { dm: 'allowlist', dmAllow: [NEW_APP.openId] },
  });
});
