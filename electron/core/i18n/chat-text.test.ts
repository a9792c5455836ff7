import { describe, expect, it } from 'vitest';
import { chatLanguageOf, chatText, type ChatTextKey } from './chat-text';

const KEYS: ChatTextKey[] = [
  'agent.modelNotFound',
  'kocoro.failed',
  'program.notFound',
  'program.failed',
  'command.help.new',
  'stop.nothing',
];

/** Local paths and program output stay in the log: no chat notice has a place for them. */
const NO_LOCAL_DETAILS: ChatTextKey[] = ['program.noWorkingDir', 'program.notFound', 'program.notExecutable', 'program.failed'];

describe('chat text catalog', () => {
  it('auto picks 简体中文 for Feishu bots and English for Lark bots; a chosen language wins', () => {
    expect(chatLanguageOf({ platform: 'feishu' })).toBe('zh-CN');
    expect(chatLanguageOf({ platform: 'lark' })).toBe('en');
    expect(chatLanguageOf({ platform: 'feishu', language: 'auto' })).toBe('zh-CN');
    expect(chatLanguageOf({ platform: 'feishu', language: 'en' })).toBe('en');
    expect(chatLanguageOf({ platform: 'lark', language: 'zh-CN' })).toBe('zh-CN');
  });

  it('fills the same parameters in both languages', () => {
    const params = { model: 'm-1', detail: 'd-2', program: '/bin/p-3', how: 'exited with code 3', tail: ': t-4', cwd: '/w' };
    for (const key of KEYS) {
      const en = chatText('en', key, params);
      const zh = chatText('zh-CN', key, params);
      expect(en).not.toBe(zh);
      expect(en).not.toMatch(/\{\w+\}/);
      expect(zh).not.toMatch(/\{\w+\}/);
      for (const value of Object.values(params)) expect(en.includes(value)).toBe(zh.includes(value));
    }
  });

  it('has no place for a path or program output in what a program agent failure says to the chat', () => {
    for (const key of NO_LOCAL_DETAILS) {
      for (const language of ['en', 'zh-CN'] as const) {
        expect(chatText(language, key, { how: 'exited with code 3' }).match(/\{\w+\}/g) ?? []).toEqual([]);
        expect(chatText(language, key, { how: 'x', tail: '/home/me/secret.txt', cwd: '/home/me', program: '/opt/p' })).not.toMatch(
          /\/home|\/opt/,
        );
      }
    }
  });

  it('renders a provider notice with its parameters in the language asked for', () => {
    const notice = { key: 'agent.modelNotFound' as const, params: { model: 'gpt-x' } };
    expect(chatText('en', notice)).toBe('The agent\'s model "gpt-x" was not found. Ask the bot\'s owner to check it.');
    expect(chatText('zh-CN', notice)).toBe('找不到智能体的模型“gpt-x”，请联系机器人的管理员检查。');
  });
});
