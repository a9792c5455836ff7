import { defineConfig } from '@playwright/test';

/**
 * UI tests drive the real React UI in a real browser against the real headless core and the fake
 * Lark platform. Debian's Chromium by default (Playwright cannot download its own browser here);
 * KOCORO_CHROMIUM points elsewhere, e.g. at Playwright's browser on a developer laptop.
 */
const executablePath = process.env.KOCORO_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: '../../../test-results/ui',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
