/**
 * One Vite config for the three Electron targets:
 * - renderer: Vite root renderer/ → dist/ (served on app://kocoro/ in production);
 * - main:     electron/main.ts    → dist-electron/main.js     (ESM, runtime deps left external);
 * - preload:  electron/preload.ts → dist-electron/preload.cjs (CommonJS: sandboxed preloads
 *   cannot be ES modules).
 *
 * `vite build` builds all three (no Electron binary needed). `vite` serves the renderer, rebuilds
 * main/preload on change and (re)starts Electron; `ELECTRON_STARTUP_PREVENT=1 vite` does all of it
 * except starting Electron (vite-plugin-electron's startup() checks that variable).
 */
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import type { ElectronOptions } from 'vite-plugin-electron';
import electron from 'vite-plugin-electron/simple';
import { APP_CSP_META, DEV_CSP_META } from './shared/csp.js';

const repoRoot = path.dirname(fileURLToPath(import.meta.url));
const fromRoot = (...segments: string[]): string => path.join(repoRoot, ...segments);

/** The import aliases of tsconfig.json's `paths`, for every build (and for Vitest, e2e/vitest.config.ts). */
export const pathAliases = {
  '@core': fromRoot('electron/core'),
  '@shared': fromRoot('shared'),
  '@e2e': fromRoot('e2e'),
};

// The plugin resolves relative paths against the Vite root (renderer/), hence absolute paths.
const electronOutDir = fromRoot('dist-electron');

/**
 * Runtime `dependencies` stay external in the main build and are loaded from node_modules
 * (electron-builder ships them in the app). Bundling @larksuiteoapi/node-sdk into an ESM main
 * breaks at runtime on `__dirname`.
 */
const packageJson = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
};
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const runtimeDependencies = Object.keys(packageJson.dependencies ?? {}).map(
  (name) => new RegExp(`^${escapeRegExp(name)}(?:/|$)`), // the package and its subpaths
);

/**
 * Launch Electron on the repository (where package.json's "main" points at dist-electron/main.js),
 * not on the Vite root. Unlike the plugin's default argv this does not pass --no-sandbox: set
 * KOCORO_DEV_NO_SANDBOX=1 only on a Linux machine whose kernel forbids the Chromium sandbox.
 */
const electronArgv = (): string[] => (process.env.KOCORO_DEV_NO_SANDBOX === '1' ? [repoRoot, '--no-sandbox'] : [repoRoot]);

type OnStart = NonNullable<ElectronOptions['onstart']>;
/** Main rebuilt: restart Electron (startup() kills the previous instance). */
const restartElectron: OnStart = async ({ startup }) => {
  await startup(electronArgv(), { cwd: repoRoot });
};
/** vite-plugin-electron keeps the running Electron child process on `process.electronApp`. */
const electronIsRunning = (): boolean => (process as { electronApp?: unknown }).electronApp != null;
/** Preload rebuilt: reload the pages if Electron runs, otherwise start it. */
const reloadOrStartElectron: OnStart = async ({ startup, reload }) => {
  if (electronIsRunning()) reload();
  else await startup(electronArgv(), { cwd: repoRoot });
};

/**
 * renderer/index.html carries the production CSP in a meta tag. Fail the build if it has drifted
 * from shared/csp.ts, and move the tag to the top of <head>: a meta policy only governs what comes
 * after it, and Vite/plugin-react prepend their own scripts in dev. Under the dev server, swap in
 * the dev policy (HMR needs inline scripts, inline styles and a WebSocket).
 */
function cspMetaPlugin(): Plugin {
  const metaPattern = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>\s*/i;
  let isServe = false;
  return {
    name: 'kocoro:csp-meta',
    configResolved(config) {
      isServe = config.command === 'serve';
    },
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const match = metaPattern.exec(html);
        if (match === null) throw new Error('renderer/index.html: missing the Content-Security-Policy meta tag');
        if (match[1] !== APP_CSP_META) {
          throw new Error(
            `renderer/index.html: the CSP meta tag differs from APP_CSP_META in shared/csp.ts\n` +
              `  html:   ${match[1] ?? ''}\n  shared: ${APP_CSP_META}`,
          );
        }
        const policy = isServe ? DEV_CSP_META : APP_CSP_META;
        const withoutMeta = html.replace(metaPattern, '');
        const hoisted = withoutMeta.replace(/<head>/i, `<head>\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
        if (hoisted === withoutMeta) throw new Error('renderer/index.html: no <head> to put the CSP meta tag in');
        return hoisted;
      },
    },
  };
}

export default defineConfig({
  root: fromRoot('renderer'),
  base: './', // relative asset URLs: work on app://kocoro/ and under any HTTP mount path
  publicDir: false,
  resolve: { alias: pathAliases },
  plugins: [
    react(),
    cspMetaPlugin(),
    electron({
      main: {
        entry: fromRoot('electron/main.ts'),
        onstart: restartElectron,
        vite: {
          resolve: { alias: pathAliases },
          build: {
            outDir: electronOutDir,
            emptyOutDir: false, // shared with the preload build
            target: 'node22', // Electron 45 ships Node 22
            minify: false, // readable stack traces from users' logs
            rolldownOptions: { external: runtimeDependencies },
          },
        },
      },
      preload: {
        input: fromRoot('electron/preload.ts'),
        onstart: reloadOrStartElectron,
        vite: {
          resolve: { alias: pathAliases },
          build: {
            outDir: electronOutDir,
            emptyOutDir: false,
            minify: false,
            rolldownOptions: {
              output: { format: 'cjs', entryFileNames: 'preload.cjs', codeSplitting: false },
            },
          },
        },
      },
    }),
  ],
  server: {
    port: 5173,
    strictPort: true, // the main process trusts exactly this origin for IPC
  },
  build: {
    outDir: fromRoot('dist'),
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // The large libraries every page needs in chunks of their own (the app's code changes more
        // often than they do, and the headless UI caches /assets/ for good). The pages and dialogs
        // not needed at first paint are split off by their dynamic import() in the renderer.
        codeSplitting: {
          groups: [
            { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            {
              name: 'i18next',
              test: /[\\/]node_modules[\\/](i18next|react-i18next|html-parse-stringify|void-elements|use-sync-external-store)[\\/]/,
            },
            { name: 'zod', test: /[\\/]node_modules[\\/]zod[\\/]/ },
          ],
        },
      },
    },
  },
});
