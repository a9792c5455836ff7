/**
 * `npm run headless -- --metrics PORT`: the bots' figures as Prometheus text on
 * `http://127.0.0.1:PORT/metrics` (README "Metrics"). Loopback only and without a token, as
 * scrapers expect; the Host header is checked so a web page cannot read it through DNS rebinding.
 */
import http from 'node:http';
import type { BotMetrics } from '../core/metrics/bot-metrics';
import type { Logger } from '../core/log/logger';
import { isOwnHost } from './access';
import { errorMessage } from '../core/log/error-message';

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: { port: number; metrics: BotMetrics; logger: Logger }): Promise<MetricsServer> {
  let port = opts.port;
  const server = http.createServer((req, res) => {
    if (!isOwnHost(req.headers.host, port)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('wrong host\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    opts.metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(text),
      (err: unknown) => {
        opts.logger.log('error', 'metrics.failed', { error: errorMessage(err) });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
