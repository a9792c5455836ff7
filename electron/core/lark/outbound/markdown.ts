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
 * Splits at paragraph breaks, then line breaks, then between words (`findCut`), never leaving a
 * code fence open across a cut: an open fence is closed at the end of one part and reopened in
 * the next.
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

/**
 * Index (in UTF-16 units) of the best place to cut `text` so the head fits in `budget` bytes:
 * between paragraphs, else between lines, else between words (between characters in CJK text,
 * which has no spaces), never inside a word, a URL, a markdown link or an inline code span. Only
 * a single token longer than half the budget is cut where it must be. The head keeps the space
 * after its last word, so the next part starts with a word and the parts join back to the text.
 */
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
  const unsafe = insideSpans(text, end);
  for (let i = end; i > end / 2; i--) {
    if (unsafe[i]) continue;
    const before = text[i - 1]!;
    const after = text[i] ?? '';
    if (/\s/.test(before) && !/\s/.test(after)) return i;
    if ((isCjk(before) || isCjk(after)) && !isLowSurrogate(after)) return i;
  }
  return end;
}

/** CJK ideographs, kana, hangul and their punctuation: scripts written without spaces between words. */
const isCjk = (ch: string): boolean => /[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/.test(ch);
const isLowSurrogate = (ch: string): boolean => ch !== '' && ch.charCodeAt(0) >= 0xdc00 && ch.charCodeAt(0) <= 0xdfff;

/**
 * For each position up to `end`: whether a cut there would fall inside an inline code span, a
 * link's text or a link's target on its line (fenced code blocks are handled by the caller, which
 * closes and reopens them).
 */
function insideSpans(text: string, end: number): Uint8Array {
  const unsafe = new Uint8Array(end + 1);
  let code = false;
  let linkText = 0;
  let linkTarget = false;
  let fenced = false;
  let lineStart = true;
  for (let i = 0; i < end; i++) {
    const ch = text[i]!;
    if (lineStart) {
      const eol = text.indexOf('\n', i);
      if (/^\s*```/.test(text.slice(i, eol < 0 ? end : Math.min(eol, end)))) fenced = !fenced;
    }
    lineStart = ch === '\n';
    if (ch === '\n') {
      code = false;
      linkText = 0;
      linkTarget = false;
    } else if (!fenced) {
      if (ch === '`') code = !code;
      else if (!code && ch === '[') linkText++;
      else if (!code && ch === ']' && linkText > 0) {
        linkText--;
        if (text[i + 1] === '(') linkTarget = true;
      } else if (!code && ch === ')' && linkTarget) linkTarget = false;
    }
    unsafe[i + 1] = code || linkText > 0 || linkTarget ? 1 : 0;
  }
  return unsafe;
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
