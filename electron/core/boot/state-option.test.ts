import { describe, expect, it } from 'vitest';
import { chooseState } from './state-option';

describe('where the bots keep their state (--state, KOCORO_STATE, the config file)', () => {
  it('is the data folder unless one is given; the flag beats the environment, which beats the config file', () => {
    expect(chooseState({})).toEqual({ kind: 'files' });
    expect(chooseState({ config: 'redis://c:6379' })).toEqual({ kind: 'redis', url: 'redis://c:6379', from: 'config' });
    expect(chooseState({ env: 'redis://e:6379/2', config: 'redis://c:6379' })).toMatchObject({ url: 'redis://e:6379/2', from: 'env' });
    expect(chooseState({ flag: 'rediss://f:6380', env: 'redis://e:6379' })).toMatchObject({ url: 'rediss://f:6380', from: 'flag' });
    expect(chooseState({ flag: '/run/redis/redis.sock' })).toMatchObject({ kind: 'redis', url: '/run/redis/redis.sock' });
  });

  it('refuses what is not a Redis URL or socket path, naming where it came from and hiding a password', () => {
    expect(chooseState({ flag: 'localhost:6379' })).toMatchObject({
      problem: expect.stringMatching(/^--state: the state store URL "localhost:6379" is not a URL/),
    });
    expect(chooseState({ env: 'redis://h:6379/x' })).toMatchObject({
      problem: expect.stringMatching(/^KOCORO_STATE: .*a database is a number/),
    });
    const refused = chooseState({ config: 'http://user:hunter2@h/' });
    expect(refused).toMatchObject({ problem: expect.stringContaining('the config file\'s "state"') });
    expect(JSON.stringify(refused)).not.toContain('hunter2');
  });
});
