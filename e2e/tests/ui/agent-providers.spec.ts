import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeKocoro } from '../../fakes/kocoro/server';
import { expect, screenshot, test } from '../../support/ui-fixtures';

// An agent made in the form looks for the daemon's pid file in ~/.shannon, as for a real daemon:
// the core gets a home of its own, where the fake daemon writes it.
const HOME = path.join(os.tmpdir(), `kocoro-ui-home-${process.pid}`);
test.use({
  kocoroConfig: { agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] },
  kocoroEnv: { HOME, USERPROFILE: HOME },
});

test('a Kocoro agent is picked from the daemon’s list, checked, and tested', async ({ page, kocoro }) => {
  const daemon = await FakeKocoro.start({ stateDir: path.join(HOME, '.shannon'), chunkChars: 3, chunkDelayMs: 30 });
  try {
    await page.goto(await kocoro.link());
    await page.getByRole('navigation').getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByLabel('Name').fill('Researcher');
    await page.getByLabel('Provider').selectOption('kocoro');
    // The select is filled from the daemon at this URL.
    await page.getByLabel('Kocoro daemon URL').fill(daemon.url);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByLabel('Kocoro agent', { exact: true }).selectOption('research');
    await screenshot(page, 'agents-kocoro-form');
    await page.getByRole('button', { name: 'Save' }).click();

    const card = page.getByRole('article').filter({ hasText: 'Researcher' });
    await expect(card.getByText('Kocoro · research')).toBeVisible();
    await card.getByRole('button', { name: 'Check' }).click();
    await expect(card.getByRole('status').filter({ hasText: /^Ready: proven: the Kocoro daemon \(pid \d+\)/ })).toBeVisible();
    await card.getByLabel(/Test message/).fill('hello daemon');
    await card.getByRole('button', { name: 'Send' }).click();
    await expect(card.getByText('research says: hello daemon', { exact: true })).toBeVisible();
    await screenshot(page, 'agents-kocoro');
    expect(daemon.messages[0]).toMatchObject({ text: 'hello daemon', agent: 'research', source: 'feishu' });

    await daemon.close();
    await card.getByRole('button', { name: 'Check' }).click();
    await expect(card.getByRole('status').filter({ hasText: /^Not ready: .*not running/ })).toBeVisible();
  } finally {
    await daemon.close().catch(() => undefined);
    await fs.rm(HOME, { recursive: true, force: true });
  }
});

test('a local program agent is created with its arguments, one per line', async ({ page, kocoro }) => {
  await page.goto(await kocoro.link());
  await page.getByRole('navigation').getByRole('link', { name: 'Agents' }).click();
  await page.getByRole('button', { name: 'Create agent' }).click();
  await page.getByLabel('Name').fill('Script');
  await page.getByLabel('Provider').selectOption('command');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Enter the program to run.')).toBeVisible();
  await page.getByLabel('Program').fill(process.execPath);
  await page.getByLabel('Arguments').fill('-e\nprocess.stdout.write("script: " + process.argv[1])\n{message}');
  await page.getByLabel('Message input').selectOption('arg');
  await page.getByLabel('Time limit (seconds)').fill('30');
  await page.getByRole('button', { name: 'Save' }).click();
  const card = page.getByRole('article').filter({ hasText: 'Script' });
  await card.getByLabel(/Test message/).fill('a; rm -rf ~');
  await card.getByRole('button', { name: 'Send' }).click();
  await expect(card.getByText('script: a; rm -rf ~', { exact: true })).toBeVisible();
  const agents = await kocoro.call<Array<{ name: string; provider: unknown }>>('agents.list');
  expect(agents.find((a) => a.name === 'Script')?.provider).toEqual({
    type: 'command',
    command: process.execPath,
    args: ['-e', 'process.stdout.write("script: " + process.argv[1])', '{message}'],
    input: 'arg',
    timeoutSec: 30,
  });
});
