import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BotStatus } from '@shared/bot-status';
import { summarizeBots, trayIconPng } from './tray-status';

const bot = (botId: string, state: BotStatus['state']): BotStatus => ({ botId, state, since: 0 });

describe('tray summary', () => {
  it('says "no bots" when nothing is meant to run', () => {
    expect(summarizeBots([])).toEqual({ health: 'idle', text: 'No bots running' });
    expect(summarizeBots([bot('a', 'stopped')])).toEqual({ health: 'idle', text: 'No bots running' });
  });

  it('says all connected only when every running bot is', () => {
    expect(summarizeBots([bot('a', 'connected')])).toEqual({ health: 'ok', text: '1 bot connected' });
    expect(summarizeBots([bot('a', 'connected'), bot('b', 'connected'), bot('c', 'stopped')])).toEqual({
      health: 'ok',
      text: 'All 2 bots connected',
    });
    expect(summarizeBots([bot('a', 'connected'), bot('b', 'reconnecting')])).toEqual({ health: 'connecting', text: 'Connecting 1 bot…' });
  });

  it('counts failing bots first', () => {
    expect(summarizeBots([bot('a', 'failed'), bot('b', 'connecting'), bot('c', 'failed')])).toEqual({
      health: 'failing',
      text: '2 bots failing',
    });
    expect(summarizeBots([bot('a', 'failed'), bot('b', 'connected')]).text).toBe('1 bot failing');
  });
});

describe('tray icon', () => {
  it('is a valid RGBA PNG with a transparent corner and an opaque centre', () => {
    const png = trayIconPng('ok', 32);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(32);
    const idatLength = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('latin1')).toBe('IDAT');
    const pixels = inflateSync(png.subarray(41, 41 + idatLength));
    expect(pixels.length).toBe(32 * (1 + 32 * 4));
    const alpha = (x: number, y: number): number => pixels[y * (1 + 32 * 4) + 1 + x * 4 + 3]!;
    expect(alpha(0, 0)).toBe(0);
    expect(alpha(16, 16)).toBe(255);
    expect(png.length).toBeLessThan(2000);
  });
});
