import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBuilderConfig, DEFAULT_CONFIG_PATH, REQUIRED_FUSES } from './check-builder-config';

describe('electron-builder.yml (offline schema + policy check)', () => {
  let tempDir: string;
  let realYaml: string;

  beforeAll(async () => {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'kocoro-builder-config-'));
    realYaml = await readFile(DEFAULT_CONFIG_PATH, 'utf8');
  });
  afterAll(async () => {
    await rm(tempDir, { recursive: true, force: true });
  });

  /** Write a variant of the real file and check it. */
  async function checkVariant(name: string, yaml: string) {
    const file = path.join(tempDir, `${name}.yml`);
    await writeFile(file, yaml);
    return checkBuilderConfig(file);
  }

  it('the real electron-builder.yml passes', async () => {
    const result = await checkBuilderConfig();
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      appId: 'run.kocoro.desktop',
      productName: 'Kocoro Desktop',
      electronFuses: REQUIRED_FUSES,
    });
  });

  it('an unchanged copy passes too (the variants below differ by one thing)', async () => {
    expect(await checkVariant('copy', realYaml)).toMatchObject({ ok: true });
  });

  it('rejects an unknown top-level key', async () => {
    const result = await checkVariant('unknown-key', `${realYaml}\nnotAnOption: true\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(/unknown property 'notAnOption'/);
  });

  it('rejects an unknown fuse', async () => {
    const yaml = realYaml.replace('electronFuses:\n', 'electronFuses:\n  enableEverything: true\n');
    expect(yaml).not.toBe(realYaml);
    const result = await checkVariant('unknown-fuse', yaml);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(/electronFuses/); // its anyOf message names no key
  });

  it('rejects a value of the wrong type', async () => {
    const result = await checkVariant('wrong-type', `${realYaml}\nasar: [1, 2]\n`);
    expect(result.ok).toBe(false);
  });

  it('rejects a schema-valid config that turns a security fuse back on', async () => {
    const yaml = realYaml.replace('runAsNode: false', 'runAsNode: true');
    expect(yaml).not.toBe(realYaml);
    const result = await checkVariant('run-as-node', yaml);
    expect(result).toEqual({ ok: false, errors: ['electronFuses.runAsNode: must be false, is true'] });
  });

  it('rejects a config without fuses', async () => {
    const yaml = realYaml.slice(0, realYaml.indexOf('electronFuses:'));
    const result = await checkVariant('no-fuses', yaml);
    expect(result.ok).toBe(false);
  });

  it('reports a missing file instead of throwing', async () => {
    const result = await checkBuilderConfig(path.join(tempDir, 'does-not-exist.yml'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatch(/cannot load/);
  });
});
