/**
 * Signing tabs in with one-time links: a used link's page, and a new link from a signed-in tab's
 * Settings for another browser.
 */
import type { Browser } from '@playwright/test';
import { expect, screenshot, test } from '../../support/ui-fixtures';

test.use({ kocoroConfig: { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] } });

/** A browser of its own: no session storage shared with the test's page. */
async function otherBrowser(browser: Browser, locale = 'en-US') {
  const context = await browser.newContext({ locale });
  return { page: await context.newPage(), close: () => context.close() };
}

test('a used sign-in link shows a page saying how to get a new one, in English and in Chinese', async ({ page, kocoro, browser }) => {
  const link = await kocoro.link();
  await page.goto(link);
  await expect(page.getByRole('region', { name: 'Feishu' })).toBeVisible();

  const english = await otherBrowser(browser);
  try {
    await english.page.goto(link);
    await expect(english.page.getByRole('heading', { name: 'This sign-in link no longer works' })).toBeVisible();
    await expect(english.page.getByText(/Each link works once, for 10 minutes/)).toBeVisible();
    await expect(english.page.getByText('npm run headless -- --link')).toBeVisible();
    await expect(english.page.getByText(/Settings → Sign-in link → New sign-in link/)).toBeVisible();
    await expect(english.page.getByRole('region', { name: 'Feishu' })).toBeHidden();
    // The used code left the address bar all the same, and nothing offers a way in.
    expect(english.page.url()).toBe(`${kocoro.origin}/`);
    await expect(english.page.getByRole('link', { name: /continue/i })).toBeHidden();
    await screenshot(english.page, 'sign-in-used-link');
  } finally {
    await english.close();
  }

  const chinese = await otherBrowser(browser, 'zh-CN');
  try {
    await chinese.page.goto(link);
    await expect(chinese.page.getByRole('heading', { name: '此登录链接已失效' })).toBeVisible();
    await expect(chinese.page.getByText(/每个链接只能使用一次/)).toBeVisible();
    await expect(chinese.page.getByText('npm run headless -- --link')).toBeVisible();
  } finally {
    await chinese.close();
  }

  // The tab that used it is still signed in: the same link again says so, and offers to go on.
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'This sign-in link no longer works' })).toBeVisible();
  await page.getByRole('link', { name: 'This tab was signed in before: continue' }).click();
  await expect(page.getByRole('region', { name: 'Feishu' })).toBeVisible();
});

test("a signed-in tab's Settings make a new sign-in link that signs another browser in, once", async ({ page, kocoro, browser }) => {
  await page.goto(await kocoro.link());
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  const section = page.getByRole('region', { name: 'Sign-in link' });
  await section.getByRole('button', { name: 'New sign-in link' }).click();
  const shown = section.locator('pre');
  await expect(shown).toHaveText(new RegExp(`^${kocoro.origin}/#code=[A-Za-z0-9_-]{43}$`));
  await expect(section.getByText(/Works once, until/)).toBeVisible();
  await expect(section.getByRole('button', { name: 'Copy link' })).toBeVisible();
  await screenshot(page, 'settings-sign-in-link');
  const link = (await shown.textContent())!;
  expect(link).not.toContain(kocoro.token);

  const other = await otherBrowser(browser);
  try {
    await other.page.goto(link);
    await expect(other.page.getByRole('region', { name: 'Feishu' })).toBeVisible();
    expect(other.page.url()).toBe(`${kocoro.origin}/`);
  } finally {
    await other.close();
  }
  const third = await otherBrowser(browser);
  try {
    await third.page.goto(link);
    await expect(third.page.getByRole('heading', { name: 'This sign-in link no longer works' })).toBeVisible();
  } finally {
    await third.close();
  }
});
