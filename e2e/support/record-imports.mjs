/**
 * `node --import ./e2e/support/record-imports.mjs …`: appends the URL of every ES module the
 * process resolves to the file named by KOCORO_IMPORT_LOG (tests check which SDKs were loaded).
 */
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
}`;

if (process.env.KOCORO_IMPORT_LOG) {
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { log: process.env.KOCORO_IMPORT_LOG } });
}
