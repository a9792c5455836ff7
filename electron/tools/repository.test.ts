import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tracked = (...patterns: string[]): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && existsSync(path.join(ROOT, f)));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const sources = tracked('*.ts', '*.tsx');

describe('the repository explains itself', () => {
  it('keeps every file under electron/core at 350 lines or fewer', () => {
    const long = tracked('electron/core/')
      .filter((f) => /\.(ts|tsx)$/.test(f))
      .map((f) => ({ file: f, lines: read(f).split('\n').length - 1 }))
      .filter((f) => f.lines > 350);
    expect(long).toEqual([]);
  });

  it('keeps the bot runtime to lifecycle and wiring (300 lines at most)', () => {
    expect(read('electron/core/runtime/lifecycle/bot-runtime.ts').split('\n').length - 1).toBeLessThanOrEqual(300);
  });

  it('cites only documents that are in the repository', () => {
    const missing: string[] = [];
    for (const file of sources) {
      for (const [, doc] of read(file).matchAll(/(?<![\w@/.-])((?:[\w.-]+\/)*[\w.-]+\.md)\b/g)) {
        // `lark/README.md` is electron/core/lark/README.md; other paths are from the root or the citing file.
        const candidates = [doc!, path.join(path.dirname(file), doc!), path.join('electron/core', doc!)];
        if (!candidates.some((c) => existsSync(path.join(ROOT, c)))) missing.push(`${file}: ${doc}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names in its READMEs only source files that exist', () => {
    const missing: string[] = [];
    const everyFile = tracked();
    for (const doc of tracked('*.md')) {
      const base = path.dirname(doc);
      for (const [, named] of read(doc).matchAll(/`((?:[\w@.-]+\/)*[\w.-]+\.(?:ts|tsx|mjs|cjs|js|css|yml))`/g)) {
        // Built output is not in the repository; everything else is named from the README's folder or the root.
        if (/^dist[\w-]*\//.test(named!)) continue;
        const file = named!
          .replace(/^@core\//, 'electron/core/')
          .replace(/^@shared\//, 'shared/')
          .replace(/^@e2e\//, 'e2e/');
        // Under electron/core paths are named from there (`runtime/intake.ts`); a bare name is one file of the tree.
        const found = file.includes('/')
          ? [path.join(base, file), file, path.join('electron/core', file)].some((c) => existsSync(path.join(ROOT, c)))
          : everyFile.some((f) => path.basename(f) === file);
        if (!found) missing.push(`${doc}: ${named}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('cites only sections that the platform reference has', () => {
    const reference = read('electron/core/lark/README.md');
    const sections = new Set([...reference.matchAll(/^#{2,3} (\d+(?:\.\d+)?)[. ]/gm)].map((m) => m[1]!));
    const unknown: string[] = [];
    for (const file of [...sources, ...tracked('*.md')]) {
      if (file === 'electron/core/lark/README.md') continue;
      for (const line of read(file).split('\n')) {
        const cited = line.match(/README\.md (§[\d.]+(?:[^\n)]*?))(?=[)\n]|$|:)/);
        if (!cited) continue;
        for (const [, section] of cited[1]!.matchAll(/§(\d+(?:\.\d+)?)/g)) {
          if (!sections.has(section!)) unknown.push(`${file}: §${section}`);
        }
      }
    }
    expect(sections.size).toBeGreaterThan(40);
    expect(unknown).toEqual([]);
  });

  it('imports through the path aliases instead of climbing three or more folders', () => {
    const climbing = sources.filter((f) => /from '(\.\.\/){3,}/.test(read(f)));
    expect(climbing).toEqual([]);
  });
});
