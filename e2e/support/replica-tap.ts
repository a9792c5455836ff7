/**
 * A loopback forwarder in front of the fake platform, one per replica (the replica's bot `domain`),
 * so every platform call is known by the replica that made it: which replica wrote to a card, when,
 * and which long connection is whose (the `device_id` of each discovery answer; the WebSocket itself
 * goes straight to the fake). It forwards bytes as they are, adding only a loopback hop.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TapRecord {
  replica: number;
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** When the request reached the tap (before the fake answered it). */
  at: number;
  body?: unknown;
  response?: unknown;
}

export class ReplicaTap {
  /** The device id of every long connection this replica was handed (discovery), oldest first. */
  readonly deviceIds: string[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });

  private constructor(
    private readonly server: http.Server,
    readonly replica: number,
    private readonly target: URL,
    private readonly records: TapRecord[],
  ) {}

  static async start(replica: number, target: string, records: TapRecord[]): Promise<ReplicaTap> {
    const server = http.createServer();
    const tap = new ReplicaTap(server, replica, new URL(target), records);
    server.on('request', (req, res) => void tap.forward(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.agent.destroy();
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://tap');
    const headers = { ...req.headers, host: this.target.host };
    const upstream = http.request(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers, agent: this.agent },
      (up) => {
        const answer: Buffer[] = [];
        up.on('data', (c: Buffer) => answer.push(c));
        up.on('end', () => {
          const bytes = Buffer.concat(answer);
          const response = parse(bytes, up.headers['content-type']);
          this.noteDiscovery(url.pathname, response);
          this.records.push({
            replica: this.replica,
            method: req.method ?? 'GET',
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            status: up.statusCode ?? 0,
            at,
            ...(body.length ? { body: parse(body, req.headers['content-type']) } : {}),
            ...(response !== undefined ? { response } : {}),
          });
          const out = { ...up.headers };
          delete out['transfer-encoding'];
          delete out.connection;
          res.writeHead(up.statusCode ?? 502, { ...out, 'content-length': String(bytes.length) });
          res.end(bytes);
        });
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  }

  /** `POST /callback/ws/endpoint` answers the socket's URL, whose `device_id` names the connection in `fake.connections()`. */
  private noteDiscovery(path: string, response: unknown): void {
    if (path !== '/callback/ws/endpoint') return;
    const wsUrl = (response as { data?: { URL?: string } } | undefined)?.data?.URL;
    const deviceId = wsUrl ? /[?&]device_id=([^&]+)/.exec(wsUrl)?.[1] : undefined;
    if (deviceId) this.deviceIds.push(deviceId);
  }
}

function parse(bytes: Buffer, contentType: string | undefined): unknown {
  if (bytes.length === 0 || !String(contentType ?? '').includes('json')) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
