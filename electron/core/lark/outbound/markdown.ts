/**
 * Turns an agent's markdown answer into `post` messages with one `md` element each, split so no
 * message passes the platform's 30 KB post limit (lark/README.md §5.3, error 230025).
 */

/** Bytes of markdown per message; leaves room for the JSON wrapping and escaping under 30 KB. */
export const POST_MD_BUDGET_BYTES = 24_000;

export function postContent(markdown: string): string {
  return JSON.stringify({ zh_cn: { content: [[{ tag: 'md', text: markdown }]] } });
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Splits at paragraph breaks, then line breaks, then anywhere, never leaving a code fence open
 * across a cut: an open fence is closed at the end of one part and reopened in the next.
 */
export function splitMarkdown(markdown: string, budget = POST_MD_BUDGET_BYTES): string[] {
  if (byteLength(markdown) <= budget) return [markdown];
  const parts: string[] = [];
  let rest = markdown;
  let reopen = '';
  while (rest.length > 0) {
    const room = budget - byteLength(reopen) - 8; // 8: a closing "\n```" with slack
    const body = reopen + rest;
    if (byteLength(body) <= budget) {
      parts.push(body);
      break;
    }
    const cut = findCut(rest, Math.max(1, room));
    let head = reopen + rest.slice(0, cut);
    rest = rest.slice(cut).replace(/^\n+/, '');
    const fence = openFence(head);
    if (fence !== undefined) {
      head += '\n```';
      reopen = '```' + fence + '\n';
    } else {
      reopen = '';
    }
    parts.push(head);
  }
  return parts;
}

/** Index (in UTF-16 units) of the best place to cut `text` so the head fits in `budget` bytes. */
export function findCut(text: string, budget: number): number {
  let end = 0;
  let bytes = 0;
  for (const ch of text) {
    const b = byteLength(ch);
    if (bytes + b > budget) break;
    bytes += b;
    end += ch.length;
  }
  const head = text.slice(0, end);
  const para = head.lastIndexOf('\n\n');
  if (para > end / 2) return para;
  const line = head.lastIndexOf('\n');
  if (line > end / 2) return line;
  return end;
}

/** The info string of a fence left open at the end of `text`, or undefined if all fences are closed. */
export function openFence(text: string): string | undefined {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*```(.*)$/.exec(line);
    if (!m) continue;
    open = open === undefined ? (m[1] ?? '').trim() : undefined;
  }
  return open;
}
