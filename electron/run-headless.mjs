/**
 * `npm run headless`: the compiled core (dist-headless/headless.js) on plain Node, in this same
 * process, so signals and the exit code are the core's own. The build is made first when it is
 * missing or older than any source it is built from (its output goes to stderr: stdout is the
 * JSON log). See vite.headless.config.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist-headless', 'headless.js');
const SOURCES = ['electron', 'shared', 'package.json', 'vite.headless.config.ts', 'vite.config.ts'];

/** Newest modification time of the files under `entry` that end up in the build. */
function newest(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const item of readdirSync(full, { withFileTypes: true, recursive: true })) {
    if (!item.isFile() || !/\.(ts|json)$/.test(item.name) || /\.test\.ts$/.test(item.name)) continue;
    latest = Math.max(latest, statSync(path.join(item.parentPath, item.name)).mtimeMs);
  }
  return latest;
}

function isStale() {
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((entry) => newest(entry) > builtAt);
}

if (isStale()) {
  process.stderr.write('Building the headless core (npm run build does this too)…\n');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '-c', path.join(root, 'vite.headless.config.ts')], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) {
    process.stderr.write(`The headless build failed (exit ${result.status ?? result.signal}); see above.\n`);
    process.exit(1);
  }
}

await import(pathToFileURL(built).href);
