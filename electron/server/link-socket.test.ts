import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { LinkUnavailable, linkSocketPath, requestLink, serveLinkSocket } from './link-socket';

const LINK = 'http://127.0.0.1:4321/#code=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
let dir: string;
let logger: MemoryLogger;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-link-'));
  logger = new MemoryLogger();
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function serve(socketPath = linkSocketPath(dir)): Promise<{ issued: number }> {
  const counter = { issued: 0 };
  const socket = await serveLinkSocket({
    socketPath,
    newLink: () => {
      counter.issued++;
      return { link: LINK, expiresAt: 42 };
    },
    logger,
  });
  closers.push(() => socket.close());
  return counter;
}

/** A raw exchange on the socket: what is sent back for `line`. */
function exchange(line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(linkSocketPath(dir));
    let reply = '';
    conn.on('connect', () => conn.write(line));
    conn.setEncoding('utf8').on('data', (d: string) => (reply += d));
    conn.on('end', () => resolve(reply));
    conn.on('error', reject);
  });
}

describe.skipIf(process.platform === 'win32')('the --link socket', () => {
  it('sits in the data folder, readable and writable by its owner alone', async () => {
    await serve();
    const socketPath = linkSocketPath(dir);
    expect(socketPath).toBe(path.join(dir, 'ui-link.sock'));
    const stat = await fs.stat(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('answers a request with a new link each time', async () => {
    const counter = await serve();
    expect(await requestLink(dir)).toEqual({ link: LINK, expiresAt: 42 });
    expect(await requestLink(dir)).toEqual({ link: LINK, expiresAt: 42 });
    expect(counter.issued).toBe(2);
  });

  it('sends nothing but a refusal to a connection that does not ask properly', async () => {
    const counter = await serve();
    expect(await exchange('hello\n')).toBe('{"error":"unknown request"}\n');
    expect(await exchange('{"want":"sign-in-link","more":1}\n')).toBe('{"error":"unknown request"}\n');
    expect(counter.issued).toBe(0);
  });

  it('says no Kocoro runs there when nothing listens, and replaces a socket left by a crash', async () => {
    await expect(requestLink(dir)).rejects.toThrow(LinkUnavailable);
    await expect(requestLink(dir)).rejects.toThrow(/No Kocoro with its UI is running on/);
    // What a crashed run leaves: the path taken, nobody listening (listen() alone would fail with EADDRINUSE).
    await fs.writeFile(linkSocketPath(dir), '');
    await expect(requestLink(dir)).rejects.toThrow(/No Kocoro with its UI is running on/);
    await serve();
    expect((await requestLink(dir)).link).toBe(LINK);
  });

  it('removes the socket when closed', async () => {
    await serve();
    await closers.pop()!();
    await expect(fs.stat(linkSocketPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('is not served from a folder whose path is too long for a socket, rather than listening somewhere else', async () => {
    const deep = path.join(dir, 'x'.repeat(120));
    await fs.mkdir(deep);
    await serve(linkSocketPath(deep));
    expect(await fs.readdir(dir)).toEqual(['x'.repeat(120)]);
    expect(await fs.readdir(deep)).toEqual([]);
    expect(logger.records).toContainEqual(expect.objectContaining({ event: 'ui.link_socket_unavailable', level: 'warn' }));
  });
});

describe('linkSocketPath', () => {
  it('is a named pipe named after the data folder on Windows', () => {
    const a = linkSocketPath('C:\\Users\\me\\AppData\\Roaming\\Kocoro Desktop', 'win32');
    expect(a).toMatch(/^\\\\\.\\pipe\\kocoro-link-[0-9a-f]{32}$/);
    expect(linkSocketPath('C:\\Users\\me\\other', 'win32')).not.toBe(a);
  });
});
