import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';

// Answers like a daemon would, so a message that did reach it would show up as an answer.
const SCRIPT = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  console.log('request ' + req.method + ' ' + req.url);
  req.resume();
  if (req.url === '/health') return res.end(JSON.stringify({ status: 'ok', version: 'impostor' }));
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('event: done\\ndata: {"reply":"the impostor read your message"}\\n\\n');
});
server.listen(Number(process.argv[2]), process.argv[1], () => console.log('listening ' + server.address().port));
`;

/**
 * Another program on a would-be daemon port: a separate process (optionally another user's, when
 * the tests run as root) serving HTTP on 127.0.0.1. It records every request it gets.
 */
export class Impostor {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** `METHOD /path` of every request it got. */
    readonly requests: string[],
  ) {}

  /** `host`: default 127.0.0.1; `port`: default any free one; `uid`: run as that user (needs root). */
  static async start(opts: { host?: string; port?: number; uid?: number; gid?: number } = {}): Promise<Impostor> {
    const child = spawn(process.execPath, ['-e', SCRIPT, opts.host ?? '127.0.0.1', String(opts.port ?? 0)], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    const lines = createInterface({ input: child.stdout! });
    const requests: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`impostor exited with ${code}`)));
      lines.on('line', (line) => {
        const listening = /^listening (\d+)$/.exec(line);
        if (listening) resolve(Number(listening[1]));
        else if (line.startsWith('request ')) requests.push(line.slice('request '.length));
      });
    });
    return new Impostor(child, port, requests);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
