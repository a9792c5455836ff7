import { describe, expect, it } from 'vitest';
import { isHttpUrl, isValidAppId, optionalText, parseTemperature } from './validation';

describe('form validation helpers', () => {
  it('accepts only cli_ + 16 hex App IDs (surrounding spaces from a paste are fine)', () => {
    expect(isValidAppId('cli_a1b2c3d4e5f60718')).toBe(true);
    expect(isValidAppId('  cli_A1B2C3D4E5F60718 ')).toBe(true);
    expect(isValidAppId('cli_a1b2c3d4e5f6071')).toBe(false);
    expect(isValidAppId('cli_a1b2c3d4e5f6071g')).toBe(false);
    expect(isValidAppId('a1b2c3d4e5f60718')).toBe(false);
  });

  it('checks http(s) URLs', () => {
    expect(isHttpUrl('https://open.feishu.cn')).toBe(true);
    expect(isHttpUrl('http://127.0.0.1:11434/v1')).toBe(true);
    expect(isHttpUrl('open.feishu.cn')).toBe(false);
    expect(isHttpUrl('ftp://x')).toBe(false);
  });

  it('parses an optional temperature between 0 and 2', () => {
    expect(parseTemperature('')).toBeUndefined();
    expect(parseTemperature('0.7')).toBe(0.7);
    expect(parseTemperature('0,5')).toBe(0.5);
    expect(parseTemperature('3')).toBeNull();
    expect(parseTemperature('warm')).toBeNull();
  });

  it('leaves blank optional text out', () => {
    expect(optionalText('  ')).toBeUndefined();
    expect(optionalText(' Team bot ')).toBe('Team bot');
  });
});
