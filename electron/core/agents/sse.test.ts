import { describe, expect, it } from 'vitest';
import { parseSse, type SseEvent } from './sse';

async function parse(chunks: Array<string | Uint8Array>): Promise<SseEvent[]> {
  const body = (async function* () {
    for (const c of chunks) yield typeof c === 'string' ? new TextEncoder().encode(c) : c;
  })();
  const out: SseEvent[] = [];
  for await (const e of parseSse(body)) out.push(e);
  return out;
}

describe('parseSse', () => {
  it('parses events split anywhere, with CRLF, comments and multi-line data', async () => {
    const euro = new TextEncoder().encode('€');
    const events = await parse([
      ': hello\r\nevent: del',
      'ta\r\ndata: {"text":"a',
      euro.subarray(0, 2),
      euro.subarray(2),
      '"}\r',
      '\n\r\n',
      'data: one\ndata: two\n\n',
      'event: done\ndata: {}',
    ]);
    expect(events).toEqual([
      { event: 'delta', data: '{"text":"a€"}' },
      { event: 'message', data: 'one\ntwo' },
      { event: 'done', data: '{}' },
    ]);
  });
});
