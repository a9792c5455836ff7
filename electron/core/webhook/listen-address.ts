/**
 * `--webhook [HOST:]PORT`: HOST an IPv4 address, a name, or `[IPv6]`; 127.0.0.1 when absent (a
 * reverse proxy on the same machine terminates TLS). Null when it is not that.
 */
export function parseListen(raw: string): { host: string; port: number } | null {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(raw.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65_535) return null;
  return { host: m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}
