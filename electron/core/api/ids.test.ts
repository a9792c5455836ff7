import { describe, expect, it } from 'vitest';
import { agentIdFor, botIdFor } from './ids';

const none = () => false;

describe('botIdFor', () => {
  it('names the bot after its platform and the start of its App ID, suffixed when taken', () => {
    expect(botIdFor('feishu', 'cli_A1B2C3D4e5f60718', none)).toBe('feishu-a1b2c3d4');
    const taken = new Set(['lark-a1b2c3d4', 'lark-a1b2c3d4-2']);
    expect(botIdFor('lark', 'cli_a1b2c3d4e5f60718', (id) => taken.has(id))).toBe('lark-a1b2c3d4-3');
  });
});

describe('agentIdFor', () => {
  it('slugs the name to lowercase ascii, digits and dashes', () => {
    expect(agentIdFor('  Café Helper #2!  ', none)).toBe('cafe-helper-2');
    expect(agentIdFor('Second', none)).toBe('second');
  });

  it('keeps ids unique and within 64 characters', () => {
    const taken = new Set(['support']);
    expect(agentIdFor('Support', (id) => taken.has(id))).toBe('support-2');
    const long = agentIdFor('x'.repeat(200), (id) => id === 'x'.repeat(56));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
  });

  it('falls back to agent-<n> for names with nothing ascii in them', () => {
    expect(agentIdFor('助手', none)).toBe('agent-1');
    expect(agentIdFor('助手', (id) => id === 'agent-1')).toBe('agent-2');
  });
});
