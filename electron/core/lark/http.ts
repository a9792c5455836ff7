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
