/**
 * What the tray says about the bots, and the tray icon itself. Pure (no Electron import), so it is
 * tested under Node; main.ts turns the PNG into a `nativeImage`.
 */
import { deflateSync } from 'node:zlib';
import type { BotStatus } from '@shared/bot-status';

export type TrayHealth = 'ok' | 'failing' | 'connecting' | 'idle';

export interface TraySummary {
  readonly health: TrayHealth;
  /** One line for the menu and the tooltip. */
  readonly text: string;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Disabled (stopped) bots do not count: "no bots" means nothing is meant to be running. */
export function summarizeBots(statuses: readonly BotStatus[]): TraySummary {
  const running = statuses.filter((s) => s.state !== 'stopped');
  if (running.length === 0) return { health: 'idle', text: 'No bots running' };
  const failing = running.filter((s) => s.state === 'failed').length;
  if (failing > 0) return { health: 'failing', text: `${plural(failing, 'bot', 'bots')} failing` };
  const connected = running.filter((s) => s.state === 'connected').length;
  if (connected === running.length) {
    return { health: 'ok', text: connected === 1 ? '1 bot connected' : `All ${connected} bots connected` };
  }
  return { health: 'connecting', text: `Connecting ${plural(running.length - connected, 'bot', 'bots')}…` };
}

const COLORS: Readonly<Record<TrayHealth, readonly [number, number, number]>> = {
  ok: [0x34, 0xc7, 0x59],
  failing: [0xff, 0x3b, 0x30],
  connecting: [0xff, 0x9f, 0x0a],
  idle: [0x8e, 0x8e, 0x93],
};

/**
 * A filled, anti-aliased circle as an RGBA PNG: coloured by health, or black for a macOS
 * template image (the menu bar tints it). `size` in pixels (32 = 16 pt at 2x).
 */
export function trayIconPng(health: TrayHealth, size = 32, template = false): Buffer {
  const [r, g, b] = template ? [0, 0, 0] : COLORS[health];
  const radius = size * 0.4;
  const c = (size - 1) / 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const coverage = Math.max(0, Math.min(1, radius - d + 0.5));
      // In a template, a ring (not a disc) for "idle" so the state reads without colour.
      const ring = template && health === 'idle' ? Math.max(0, Math.min(1, d - radius * 0.55 + 0.5)) : 1;
      row.writeUInt8(r, 1 + x * 4);
      row.writeUInt8(g, 2 + x * 4);
      row.writeUInt8(b, 3 + x * 4);
      row.writeUInt8(Math.round(255 * coverage * ring), 4 + x * 4);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit, RGBA, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

let crcTable: Uint32Array | undefined;
function crc32(data: Buffer): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
