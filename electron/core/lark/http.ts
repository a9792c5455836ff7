import * as lark from '@larksuiteoapi/node-sdk';

/** The SDK's own axios instance, with a request timeout (it has none by default). */
export function withTimeout(timeoutMs: number): lark.HttpInstance {
  // Typed as a raw AxiosInstance, but its interceptor already unwraps response.data as HttpInstance promises.
  const base = lark.defaultHttpInstance as unknown as lark.HttpInstance;
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'request') {
        return (opts: lark.HttpRequestOptions<unknown>) => target.request({ timeout: timeoutMs, ...opts });
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * A failed stream download carries the platform's JSON error as a stream; read it (capped) into
 * `response.data` so the error code can be told apart.
 */
export async function withJsonErrorBody(err: unknown): Promise<unknown> {
  const response = (err as { response?: { data?: unknown } } | undefined)?.response;
  const data = response?.data;
  if (!response || !data || typeof (data as AsyncIterable<Buffer>)[Symbol.asyncIterator] !== 'function') return err;
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of data as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > 64 * 1024) break;
    }
    response.data = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    response.data = {};
  }
  return err;
}

/** The SDK's HTTP client, as a type the rest of the core may name (only lark/ imports the SDK). */
export type SdkHttp = lark.HttpInstance;

/** One request the SDK makes: the full URL, the method, JSON body, query, headers (the tenant token). */
export interface SdkRequest {
  url: string;
  method: string;
  data: unknown;
  params: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** Asked for downloads: the answer is `{data, headers}` instead of the body. */
  returnHeaders: boolean;
}

/**
 * An HTTP client for the SDK that answers in this process (the preview's platform): `handle`
 * returns the body as the platform's would be, or throws an error shaped as the SDK's client throws
 * them (`response.data` the platform's JSON), which lark/errors.ts reads.
 */
export function inProcessHttp(handle: (req: SdkRequest) => Promise<unknown>): SdkHttp {
  const request = (opts: lark.HttpRequestOptions<unknown>) =>
    handle({
      url: opts.url ?? '',
      method: (opts.method ?? 'GET').toUpperCase(),
      data: typeof opts.data === 'string' ? (JSON.parse(opts.data) as unknown) : opts.data,
      params: (opts.params ?? {}) as Record<string, unknown>,
      headers: (opts.headers ?? {}) as Record<string, unknown>,
      returnHeaders: (opts as { $return_headers?: unknown }).$return_headers === true,
    });
  // The SDK uses the shorthands too (its token manager posts).
  const without =
    (method: string) =>
    (url: string, opts: lark.HttpRequestOptions<unknown> = {}) =>
      request({ ...opts, url, method });
  const withData =
    (method: string) =>
    (url: string, data?: unknown, opts: lark.HttpRequestOptions<unknown> = {}) =>
      request({ ...opts, url, method, data });
  const http = {
    request,
    get: without('GET'),
    delete: without('DELETE'),
    head: without('HEAD'),
    options: without('OPTIONS'),
    post: withData('POST'),
    put: withData('PUT'),
    patch: withData('PATCH'),
  };
  return http as unknown as SdkHttp;
}
