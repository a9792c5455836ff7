import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electron = { name: 'electron', message: 'Only electron/main.ts, preload.ts and adapters/ may import electron.' };
const testCode = { group: ['@e2e/*', '**/e2e/**'], message: 'Product code never imports test code (e2e/).' };
const nodeBuiltins = { group: ['node:*'], message: 'shared/ runs in the renderer too: no Node built-ins.' };
const runtimeFromLark = {
  group: ['@core/runtime/*', '../runtime/*', '../../runtime/*'],
  message: 'lark/ is the platform layer: it never depends on the runtime (the runtime uses lark/).',
};
const sdk = {
  name: '@larksuiteoapi/node-sdk',
  message: 'Only lark/ talks to the Open Platform SDK: the rest of the core uses lark/ (electron/core/README.md).',
};
const mainFromRenderer = {
  group: ['@core/*', '**/electron/**'],
  message: 'The renderer talks only to window.kocoro (the contract in shared/), never to the main process code.',
};

/** One `no-restricted-imports` per folder: a later rule for the same file replaces an earlier one, so each lists all it needs. */
const restrict = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });
const tests = ['**/*.test.ts', '**/*.spec.ts', 'e2e/**'];

export default tseslint.config(
  { ignores: ['dist', 'dist-electron', 'dist-headless', 'release', 'node_modules', 'test-results', 'playwright-report'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // Only the composition root, the preload and the adapters may touch Electron: everything else
  // must stay runnable (and testable) under plain Node.
  {
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['electron/main.ts', 'electron/preload.ts', 'electron/adapters/**'],
    rules: restrict([electron], []),
  },
  {
    files: ['electron/**/*.ts'],
    ignores: [...tests, 'electron/main.ts', 'electron/preload.ts', 'electron/adapters/**'],
    rules: restrict([electron, sdk], [testCode]),
  },
  { files: ['electron/main.ts', 'electron/preload.ts', 'electron/adapters/**/*.ts'], ignores: tests, rules: restrict([sdk], [testCode]) },
  { files: ['electron/core/lark/**/*.ts'], ignores: tests, rules: restrict([electron], [testCode, runtimeFromLark]) },
  { files: ['shared/**/*.ts'], ignores: tests, rules: restrict([electron], [testCode, nodeBuiltins]) },
  { files: ['renderer/**/*.{ts,tsx}'], ignores: tests, rules: restrict([electron], [testCode, mainFromRenderer]) },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
