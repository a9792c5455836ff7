/** One server-sent event: `event` defaults to "message"; `data` lines joined with "\n". */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a `text/event-stream` body (WHATWG rules: `event:`/`data:` fields, blank line ends an
 * event, `:` comments ignored, CR/LF/CRLF line ends), decoding UTF-8 safely across chunks.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncIterable<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let hasData = false;
  const line = (raw: string): SseEvent | undefined => {
    if (raw === '') {
      const out = hasData ? { event: event || 'message', data: data.join('\n') } : undefined;
      event = '';
      data = [];
      hasData = false;
      return out;
    }
    if (raw.startsWith(':')) return undefined;
    const colon = raw.indexOf(':');
    const field = colon === -1 ? raw : raw.slice(0, colon);
    let value = colon === -1 ? '' : raw.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') {
      data.push(value);
      hasData = true;
    }
    return undefined;
  };
  const drain = function* (final: boolean): Generator<SseEvent> {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (!match || (!final && match[0] === '\r' && match.index === buffer.length - 1)) break;
      const raw = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const out = line(raw);
      if (out) yield out;
    }
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* drain(false);
  }
  buffer += decoder.decode();
  yield* drain(true);
  if (buffer !== '') {
    const out = line(buffer);
    buffer = '';
    if (out) yield out;
  }
  const last = line('');
  if (last) yield last;
}
