import { afterEach, describe, expect, it } from 'vitest';
import type { HostHooks } from '@core/api/host-hooks';
import { ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness;
afterEach(async () => {
  await h?.dispose();
});

describe('app.info', () => {
  it('says how secrets are protected, where data lives and which config file is read-only', async () => {
    h = await ServiceHarness.create({ config: () => ({ agents: [], bots: [] }) });
    expect(await h.call('app.info', {})).toEqual({
      version: '0.1.0-test',
      mode: 'headless',
      secretProtection: { kind: 'file', detail: `Saved in ${h.vaultFile}, readable only by your user account` },
      configFile: h.configFile,
      dataDir: h.dataDir,
    });
  });
});

describe('settings', () => {
  it('saves the language across restarts and tells every window', async () => {
    h = await ServiceHarness.create();
    expect(await h.call('settings.get', {})).toEqual({ language: 'system' });
    expect(await h.call('settings.update', { language: 'zh-CN' })).toEqual({ language: 'zh-CN' });
    expect(h.events('settings.changed')).toEqual([{ language: 'zh-CN' }]);
    await h.service.stop(100);
    await h.open();
    expect(await h.call('settings.get', {})).toEqual({ language: 'zh-CN' });
  });

  it('offers start-at-login only where the host can do it', async () => {
    h = await ServiceHarness.create();
    expect(await h.failure('settings.update', { startAtLogin: true })).toMatchObject({ code: 'invalid_input', field: 'startAtLogin' });
    await h.dispose();

    let atLogin = false;
    const host: HostHooks = { getStartAtLogin: () => atLogin, setStartAtLogin: (on) => (atLogin = on) };
    h = await ServiceHarness.create({ host });
    expect(await h.call('settings.get', {})).toEqual({ language: 'system', startAtLogin: false });
    expect(await h.call('settings.update', { startAtLogin: true })).toEqual({ language: 'system', startAtLogin: true });
    expect(atLogin).toBe(true);
    expect(h.events('settings.changed')).toEqual([{ language: 'system', startAtLogin: true }]);
  });
});

describe('links.open', () => {
  it('hands only allowlisted console links to the host, normalised', async () => {
    const opened: string[] = [];
    h = await ServiceHarness.create({ host: { openExternal: async (url) => (opened.push(url), true) } });
    expect(await h.call('links.open', { url: 'https://open.feishu.cn/app/cli_a1b2c3d4e5f60718/baseinfo' })).toEqual({ opened: true });
    expect(opened).toEqual(['https://open.feishu.cn/app/cli_a1b2c3d4e5f60718/baseinfo']);
    for (const url of ['http://open.feishu.cn/app', 'https://open.feishu.cn.evil.com/app', 'file:///etc/passwd', 'javascript:alert(1)']) {
      expect(await h.failure('links.open', { url })).toMatchObject({ code: 'invalid_input', field: 'url' });
    }
    expect(opened).toHaveLength(1);
  });

  it('opens nothing in headless mode', async () => {
    h = await ServiceHarness.create();
    expect(await h.call('links.open', { url: 'https://open.larksuite.com/app' })).toEqual({ opened: false });
  });
});
