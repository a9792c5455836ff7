import { describe, expect, it } from 'vitest';
import { parseRoute, parseSection, routeHref } from './route';

describe('hash routes', () => {
  it('reads the page from the hash, defaulting to Connectors', () => {
    expect(parseRoute('#/agents')).toBe('agents');
    expect(parseRoute('#settings')).toBe('settings');
    expect(parseRoute('#/connectors?x=1')).toBe('connectors');
    expect(parseRoute('')).toBe('connectors');
    expect(parseRoute('#/nope')).toBe('connectors');
    expect(parseRoute('#/connectors/approvals')).toBe('connectors');
  });

  it('reads the section of a page', () => {
    expect(parseSection('#/connectors/approvals')).toBe('approvals');
    expect(parseSection('#/connectors/approvals?x=1')).toBe('approvals');
    expect(parseSection('#/connectors')).toBe('');
    expect(parseSection('#/nope/approvals')).toBe('');
    expect(parseSection('#/connectors/<img>')).toBe('');
    expect(parseSection('')).toBe('');
  });

  it('round-trips', () => {
    expect(parseRoute(routeHref('agents'))).toBe('agents');
    expect(routeHref('connectors', 'approvals')).toBe('#/connectors/approvals');
    expect(parseSection(routeHref('connectors', 'approvals'))).toBe('approvals');
  });
});
