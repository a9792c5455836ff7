import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref } from './route';

describe('hash routes', () => {
  it('reads the page from the hash, defaulting to Connectors', () => {
    expect(parseRoute('#/agents')).toBe('agents');
    expect(parseRoute('#settings')).toBe('settings');
    expect(parseRoute('#/connectors?x=1')).toBe('connectors');
    expect(parseRoute('')).toBe('connectors');
    expect(parseRoute('#/nope')).toBe('connectors');
  });

  it('round-trips', () => {
    expect(parseRoute(routeHref('agents'))).toBe('agents');
  });
});
