import { describe, expect, it } from 'vitest';
import { en } from './en';
import { systemLanguage } from './index';
import { zhCN } from './zh-CN';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1] ?? '').sort();

describe('dictionaries', () => {
  const english = flatten(en as Tree);
  const chinese = flatten(zhCN as Tree);

  it('have exactly the same keys', () => {
    const missingInChinese = [...english.keys()].filter((k) => !chinese.has(k));
    const extraInChinese = [...chinese.keys()].filter((k) => !english.has(k));
    expect(missingInChinese).toEqual([]);
    expect(extraInChinese).toEqual([]);
  });

  it('have no empty values', () => {
    for (const [name, dict] of [
      ['en', english],
      ['zh-CN', chinese],
    ] as const) {
      const empty = [...dict.entries()].filter(([, v]) => v.trim() === '').map(([k]) => `${name}:${k}`);
      expect(empty).toEqual([]);
    }
  });

  it('use the same interpolation variables in both languages', () => {
    const mismatched = [...english.entries()]
      .filter(([key, text]) => placeholders(text).join() !== placeholders(chinese.get(key) ?? '').join())
      .map(([key]) => key);
    expect(mismatched).toEqual([]);
  });

  it('keep both plural forms of every plural key', () => {
    const keys = [...english.keys()];
    for (const key of keys.filter((k) => k.endsWith('_one'))) expect(keys).toContain(key.replace(/_one$/, '_other'));
  });
});

describe('webhook mode', () => {
  it('has its words in both languages', () => {
    const english = flatten(en as Tree);
    const chinese = flatten(zhCN as Tree);
    const keys = [...english.keys()].filter((k) => k.startsWith('webhook.') || k.startsWith('settings.publicUrl.'));
    expect(keys.length).toBeGreaterThanOrEqual(20);
    for (const key of keys) expect(chinese.get(key), key).toBeTruthy();
    expect(english.get('addBot.encryption.note')).toContain('only needed if Kocoro receives events on a request URL');
    expect(chinese.get('webhook.noPublicUrl')).toContain('{{path}}');
  });
});

describe('systemLanguage', () => {
  it('follows the first supported preferred language', () => {
    expect(systemLanguage(['zh-CN', 'en-US'])).toBe('zh-CN');
    expect(systemLanguage(['zh-Hans-CN'])).toBe('zh-CN');
    expect(systemLanguage(['fr-FR', 'zh-TW'])).toBe('zh-CN');
    expect(systemLanguage(['en-GB', 'zh-CN'])).toBe('en');
    expect(systemLanguage(['de-DE'])).toBe('en');
    expect(systemLanguage([])).toBe('en');
  });
});
