import { redactShapedCredentials } from '../../log/redact';

/**
 * What a person deciding whether a tool may run reads (README "Tool approvals"): every argument of
 * the call, exactly as it will run, never shortened. Only two things differ from the call itself,
 * and both are counted so the card and the app can say so: secrets (values this app knows, and
 * credentials recognisable by their shape) are shown as `***`, and characters that are invisible
 * or reorder what is shown (bidi and zero-width controls: "Trojan Source") are shown as `⟦U+202E⟧`.
 * Nothing is hidden for being named like a secret: `export API_KEY="$(curl …|sh)"` stays whole.
 */
export interface ToolCallView {
  text: string;
  /** Values shown as `***`. */
  hidden: number;
  /** Invisible or reordering characters shown as `⟦U+XXXX⟧`. */
  invisible: number;
}

/**
 * Bidi embeddings, overrides and isolates, zero-width and joiner characters, the byte-order mark,
 * the soft hyphen, and control characters other than newline and tab.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** `args`: the call's arguments as the agent's backend sent them (the daemon's JSON string). */
export function toolCallView(args: string, redactKnown: (text: string) => string): ToolCallView {
  const shaped = redactShapedCredentials(argumentsText(args));
  const known = redactKnown(shaped.text);
  const hidden = shaped.count + Math.max(0, occurrences(known, '***') - occurrences(shaped.text, '***'));
  let invisible = 0;
  const text = known.replace(INVISIBLE, (ch) => {
    invisible++;
    return `⟦U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟧`;
  });
  return { text, hidden, invisible };
}

/**
 * The arguments as lines a person reads: a call with one text argument (bash's `command`) is that
 * text alone; otherwise one `name: value` per argument, a multi-line value on the lines after its
 * name. `description` is left out: it is the request's title, shown above.
 */
function argumentsText(args: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return args;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return args;
  const entries = Object.entries(parsed as Record<string, unknown>).filter(([key]) => key !== 'description');
  if (entries.length === 1 && typeof entries[0]![1] === 'string') return entries[0]![1];
  return entries
    .map(([key, value]) =>
      typeof value === 'string' ? (value.includes('\n') ? `${key}:\n${value}` : `${key}: ${value}`) : `${key}: ${JSON.stringify(value)}`,
    )
    .join('\n');
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}
