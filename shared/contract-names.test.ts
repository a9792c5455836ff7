import { describe, expect, it } from 'vitest';
import { events, methods } from './contract';
import { EVENT_NAME_LIST, isEventName, isMethodName, METHOD_NAME_LIST } from './contract-names';

describe('contract names', () => {
  it('lists exactly the contract methods and events', () => {
    expect([...METHOD_NAME_LIST].sort()).toEqual(Object.keys(methods).sort());
    expect([...EVENT_NAME_LIST].sort()).toEqual(Object.keys(events).sort());
  });

  it('accepts only contract names, never inherited object keys', () => {
    expect(isMethodName('bots.list')).toBe(true);
    expect(isMethodName('toString')).toBe(false);
    expect(isMethodName('__proto__')).toBe(false);
    expect(isEventName('bot.status')).toBe(true);
    expect(isEventName('bots.list')).toBe(false);
    expect(isEventName(42)).toBe(false);
  });
});
