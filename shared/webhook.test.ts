import { describe, expect, it } from 'vitest';
import { botCreateInputSchema, botUpdateInputSchema, botViewSchema, methods, settingsSchema } from './contract';
import { publicUrlSchema, webhookUrl } from './webhook';

describe('the public URL of this server', () => {
  it('takes an http(s) URL with a host, trimmed and without a trailing slash', () => {
    expect(publicUrlSchema.parse(' https://bots.example.com/ ')).toBe('https://bots.example.com');
    expect(publicUrlSchema.parse('http://10.0.0.5:8080/kocoro//')).toBe('http://10.0.0.5:8080/kocoro');
    for (const bad of [
      '',
      'bots.example.com',
      'ftp://bots.example.com',
      'https://',
      'https://a.example/?x=1',
      'https://a.example/#x',
      'https://u:p@a.example',
      'https://a b.example',
    ]) {
      expect(publicUrlSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('makes each bot’s request URL', () => {
    expect(webhookUrl('https://bots.example.com', 'feishu-a1b2c3d4')).toBe('https://bots.example.com/webhook/feishu-a1b2c3d4');
    expect(webhookUrl('https://bots.example.com/kocoro/', 'lark-1')).toBe('https://bots.example.com/kocoro/webhook/lark-1');
  });

  it('is changed through settings.update, validated there, and cleared with ""', () => {
    const input = methods['settings.update'].input;
    expect(input.parse({ publicUrl: 'https://bots.example.com/' })).toEqual({ publicUrl: 'https://bots.example.com' });
    expect(input.parse({ publicUrl: '  ' })).toEqual({ publicUrl: '' });
    expect(input.safeParse({ publicUrl: 'bots.example.com' }).success).toBe(false);
    expect(settingsSchema.parse({ language: 'en', publicUrl: 'https://x.example' })).toEqual({
      language: 'en',
      publicUrl: 'https://x.example',
    });
  });
});

describe('the contract for webhook bots', () => {
  it('carries the receive mode and the Verification Token UI → core only; views say hasVerificationToken', () => {
    expect(botCreateInputSchema.shape.verificationToken).toBeDefined();
    expect(botUpdateInputSchema.shape.verificationToken).toBeDefined();
    expect(botUpdateInputSchema.parse({ id: 'b', receive: 'webhook' })).toMatchObject({ receive: 'webhook' });
    expect(botUpdateInputSchema.safeParse({ id: 'b', receive: 'http' }).success).toBe(false);
    const viewKeys = Object.keys(botViewSchema.shape);
    expect(viewKeys).toEqual(expect.arrayContaining(['receive', 'hasVerificationToken', 'hasEncryptKey', 'hasAppSecret']));
    for (const secret of ['verificationToken', 'encryptKey', 'appSecret']) expect(viewKeys).not.toContain(secret);
  });
});
