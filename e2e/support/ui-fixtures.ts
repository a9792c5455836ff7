import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { requestLink } from '../../electron/server/link-socket';
import { FakeLarkPlatform, testCertificate } from '../fakes/lark';
import { tradeSignInLink } from './headless-process';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Every run saves its screenshots as artifacts; `KOCORO_UPDATE_SCREENSHOTS=1` also refreshes the README's copies. */
const ARTIFACT_DIR = path.join(ROOT, 'test-results/ui/screens');
export const README_SCREENSHOT_DIR = path.join(ROOT, 'e2e/tests/ui/screenshots');

export const FEISHU_APP = {
  appId: 'cli_a1b2c3d4e5f60718',
  appSecret: 'feishu-secret-0001',
  botOpenId: 'ou_feishubot0000000000000000000001',
  botName: 'Team Bot',
};
export const LARK_APP = {
  appId: 'cli_b1b2c3d4e5f60719',
  appSecret: 'lark-secret-0002',
  botOpenId: 'ou_larkbot00000000000000000000002',
  botName: 'Global Bot',
};

/** The headless core with its UI on loopback, as `npm run headless -- --ui 0` runs it. */
export interface KocoroUi {
  /** The one-time sign-in link printed on the `UI:` line, not used yet. */
  printedLink: string;
  /** A new one-time sign-in link (`app.signInLink`): each page.goto signs a tab in with its own. */
  link(): Promise<string>;
  origin: string;
  /** The session token, which a traded link gives the page. */
  token: string;
  dataDir: string;
  /** Calls the contract directly (test set-up), authenticated like the page. */
  call<T = unknown>(method: string, input?: unknown): Promise<T>;
}

interface Options {
  /** A `--config` file's content, written to the data dir's parent. */
  kocoroConfig: object | undefined;
  /**
   * Also serve the app-registration device flow over HTTPS (`lark.accountsHosts`, a test certificate
   * made with `openssl`), and point the core at it: `KOCORO_ACCOUNTS_HOSTS`, trusting the certificate
   * through `NODE_EXTRA_CA_CERTS`.
   */
  accountsTls: boolean;
  /** More environment variables for the headless core. */
  kocoroEnv: Record<string, string> | undefined;
}

export const test = base.extend<Options & { lark: FakeLarkPlatform; kocoro: KocoroUi }>({
  kocoroConfig: [undefined, { option: true }],
  accountsTls: [false, { option: true }],
  kocoroEnv: [undefined, { option: true }],

  lark: async ({ accountsTls }, use) => {
    const lark = await FakeLarkPlatform.start({
      apps: [FEISHU_APP, LARK_APP],
      ...(accountsTls ? { accountsTls: await testCertificate() } : {}),
    });
    await use(lark);
    await lark.close();
  },

  // Depends on `lark` so the core stops before the fake platform goes away (teardown runs in reverse).
  kocoro: async ({ kocoroConfig, kocoroEnv, lark }, use) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-ui-'));
    const args = [path.join(ROOT, 'electron/run-headless.mjs'), '--ui', '0', '--data-dir', path.join(dir, 'data')];
    if (kocoroConfig) {
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(kocoroConfig));
      args.push('--config', path.join(dir, 'config.json'));
    }
    const env: Record<string, string | undefined> = { ...process.env };
    if (lark.accountsHosts) {
      const caFile = path.join(dir, 'accounts-ca.pem');
      await fs.writeFile(caFile, (await testCertificate()).cert);
      env.KOCORO_ACCOUNTS_HOSTS = `${lark.accountsHosts.feishu},${lark.accountsHosts.lark},${lark.url}`;
      env.NODE_EXTRA_CA_CERTS = caFile;
    }
    Object.assign(env, kocoroEnv);
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const printedLink = await uiLine(child);
    const origin = new URL(printedLink).origin;
    // The test's own sign-in, through `--link`'s socket, leaves the printed link unused.
    const { token } = await tradeSignInLink((await requestLink(path.join(dir, 'data'))).link);
    if (!token) throw new Error('the test could not sign in to the headless UI');
    const ui: KocoroUi = {
      printedLink,
      origin,
      token,
      dataDir: path.join(dir, 'data'),
      link: async () => (await ui.call<{ link: string }>('app.signInLink')).link,
      async call<T>(method: string, input: unknown = {}) {
        const res = await fetch(`${origin}/api/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ method, input }),
        });
        const reply = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
        if (!reply.ok) throw new Error(`${method}: ${reply.error?.message}`);
        return reply.result as T;
      },
    };
    await use(ui);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await fs.rm(dir, { recursive: true, force: true });
  },
});

function uiLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no UI line from headless\nstdout:\n${out}\nstderr:\n${err}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /^UI: (\S+)$/m.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`headless exited with ${code}\nstdout:\n${out}\nstderr:\n${err}`)));
  });
}

/** Presses Tab until `target` has focus: keyboard-only navigation, as a person without a mouse would. */
export async function tabTo(page: Page, target: Locator, maxPresses = 40): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${target.toString()} with Tab`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(ARTIFACT_DIR, { recursive: true });
  const file = path.join(ARTIFACT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  await test.info().attach(name, { path: file, contentType: 'image/png' });
  if (process.env.KOCORO_UPDATE_SCREENSHOTS === '1') {
    await fs.mkdir(README_SCREENSHOT_DIR, { recursive: true });
    await fs.copyFile(file, path.join(README_SCREENSHOT_DIR, `${name}.png`));
  }
}

/** Step 1 with pasted credentials of a test app on the fake's Open Platform (Advanced), then on to step 2. */
export async function pasteCredentials(dialog: Locator, lark: FakeLarkPlatform, app: { appId: string; appSecret: string }): Promise<void> {
  await dialog.getByLabel('App ID').fill(app.appId);
  await dialog.getByLabel('App Secret', { exact: true }).fill(app.appSecret);
  await dialog.getByText('Advanced').click();
  await dialog.getByLabel('Open Platform URL').fill(lark.url);
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByText('Step 2/3')).toBeVisible();
}

/**
 * Opens Add Bot on the Connectors page and walks steps 1 and 2 with the test app's pasted
 * credentials on the fake's Open Platform, leaving the dialog at step 3 (whose content differs
 * with the agents there are).
 */
export async function addBotToStep3(page: Page, kocoro: KocoroUi, lark: FakeLarkPlatform, platform: 'feishu' | 'lark'): Promise<Locator> {
  const [label, app] = platform === 'feishu' ? (['Feishu', FEISHU_APP] as const) : (['Lark', LARK_APP] as const);
  await page.goto(await kocoro.link());
  await page.getByRole('region', { name: label }).getByRole('button', { name: 'Add Bot' }).click();
  const dialog = page.getByRole('dialog', { name: `Add ${label} Bot` });
  await pasteCredentials(dialog, lark, app);
  await dialog.getByRole('button', { name: 'Next' }).click();
  // A gentle reminder when the checklist is not ticked; pressing Next again goes on.
  if (!(await dialog.getByText('Step 3/3').isVisible())) await dialog.getByRole('button', { name: 'Next' }).click();
  return dialog;
}

/** Registers the Lark test app as a bot through the contract (what the Add Bot dialog ends with), answered by the echo agent. */
export function addLarkBot(kocoro: KocoroUi, lark: FakeLarkPlatform, extra: Record<string, unknown> = {}): Promise<unknown> {
  return kocoro.call('bots.create', {
    platform: 'lark',
    appId: LARK_APP.appId,
    appSecret: LARK_APP.appSecret,
    domain: lark.url,
    agentId: 'echo',
    ...extra,
  });
}

export { expect };
