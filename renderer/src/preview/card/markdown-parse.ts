/**
 * The Lark card markdown subset, parsed into a small tree the renderer draws (Markdown.tsx). No
 * HTML ever comes out of here: the only tags understood (`<at>`, `<font>`, `<br>`) become nodes,
 * everything else stays text, so nothing a bot writes can reach the DOM as markup.
 *
 * Two passes, as in CommonMark: blocks first (fences, headings, lists, quotes, tables, rules,
 * paragraphs), then the inline text of each block. Lark treats a single newline as a line break,
 * so paragraphs keep their lines.
 */

export type Inline =
  | { t: 'text'; text: string }
  | { t: 'strong' | 'em' | 'del' | 'span'; children: Inline[] }
  | { t: 'code'; text: string }
  | { t: 'link'; href: string; children: Inline[] }
  | { t: 'at'; id: string; name: string }
  | { t: 'font'; color: string; children: Inline[] }
  | { t: 'image'; alt: string }
  | { t: 'br' };

export type Align = 'left' | 'center' | 'right' | undefined;

export type Block =
  | { t: 'heading'; level: number; children: Inline[] }
  | { t: 'paragraph'; children: Inline[] }
  | { t: 'code'; lang: string; text: string }
  | { t: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { t: 'quote'; blocks: Block[] }
  | { t: 'hr' }
  | { t: 'table'; align: Align[]; head: Inline[][]; rows: Inline[][][] };

/** Nested quotes and lists beyond this are flattened into text: a hostile message cannot blow the stack. */
const MAX_DEPTH = 12;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  return parseBlocks(lines, 0);
}

// ---------- block pass ----------

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])( +|$)(.*)$/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

interface Marker {
  indent: number;
  ordered: boolean;
  start: number;
  /** Columns before the item's text: its continuation lines are indented this far. */
  contentIndent: number;
  text: string;
}

function listMarker(line: string): Marker | undefined {
  const m = LIST_ITEM.exec(line);
  if (!m) return undefined;
  const [, spaces = '', bullet = '', gap = '', text = ''] = m;
  const ordered = /\d/.test(bullet);
  const pad = gap.length > 4 || gap.length === 0 ? 1 : gap.length;
  return {
    indent: spaces.length,
    ordered,
    start: ordered ? parseInt(bullet, 10) : 1,
    contentIndent: spaces.length + bullet.length + pad,
    text,
  };
}

const isBlank = (line: string): boolean => line.trim() === '';
const indentOf = (line: string): number => line.length - line.trimStart().length;

function parseBlocks(lines: string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (isBlank(line)) {
      i++;
      continue;
    }
    const [block, next] = parseBlockAt(lines, i, depth);
    blocks.push(block);
    i = next;
  }
  return blocks;
}

/** The block starting at line `i` (not blank) and the index of the line after it. */
function parseBlockAt(lines: string[], i: number, depth: number): [Block, number] {
  const line = lines[i] ?? '';
  if (FENCE.test(line)) return parseFence(lines, i);
  const heading = HEADING.exec(line);
  if (heading) return [{ t: 'heading', level: (heading[1] ?? '#').length, children: parseInline(heading[2] ?? '') }, i + 1];
  if (RULE.test(line)) return [{ t: 'hr' }, i + 1];
  if (depth < MAX_DEPTH && QUOTE.test(line)) return parseQuote(lines, i, depth);
  if (depth < MAX_DEPTH && listMarker(line)) return parseList(lines, i, depth);
  if (isTableStart(lines, i)) return parseTable(lines, i);
  return parseParagraph(lines, i, depth);
}

/** A fence left open (a streaming answer cut mid-block) runs to the end, as Lark shows it. */
function parseFence(lines: string[], i: number): [Block, number] {
  const open = FENCE.exec(lines[i] ?? '');
  const indent = (open?.[1] ?? '').length;
  const fence = open?.[2] ?? '```';
  const lang = open?.[3] ?? '';
  const body: string[] = [];
  let j = i + 1;
  for (; j < lines.length; j++) {
    const line = lines[j] ?? '';
    const trimmed = line.trim();
    if (trimmed.startsWith(fence) && trimmed.replace(/[`~]/g, '') === '' && trimmed[0] === fence[0]) {
      return [{ t: 'code', lang, text: body.join('\n') }, j + 1];
    }
    body.push(line.slice(Math.min(indent, indentOf(line))));
  }
  return [{ t: 'code', lang, text: body.join('\n') }, j];
}

function parseQuote(lines: string[], i: number, depth: number): [Block, number] {
  const inner: string[] = [];
  let j = i;
  for (; j < lines.length; j++) {
    const m = QUOTE.exec(lines[j] ?? '');
    if (!m) break;
    inner.push(m[1] ?? '');
  }
  return [{ t: 'quote', blocks: parseBlocks(inner, depth + 1) }, j];
}

/**
 * Items are siblings while their markers sit at the first item's indentation (give or take one
 * space, as people type) and are of the same kind; anything indented further belongs to the item
 * above it and is parsed again as blocks, which is how lists nest.
 */
function parseList(lines: string[], i: number, depth: number): [Block, number] {
  const first = listMarker(lines[i] ?? '') as Marker;
  const items: Block[][] = [];
  let j = i;
  while (j < lines.length) {
    const marker = listMarker(lines[j] ?? '');
    if (!marker || marker.ordered !== first.ordered || Math.abs(marker.indent - first.indent) > 1) break;
    const body = [marker.text];
    j++;
    while (j < lines.length) {
      const line = lines[j] ?? '';
      if (isBlank(line)) {
        if (!continuesItem(lines, j + 1, first.indent)) break;
        body.push('');
      } else if (indentOf(line) > first.indent + 1) {
        body.push(line.slice(Math.min(marker.contentIndent, indentOf(line))));
      } else break;
      j++;
    }
    items.push(parseBlocks(body, depth + 1));
    // A blank line between items keeps the list going; elsewhere it ends it.
    if (isBlank(lines[j] ?? 'x') && nextSibling(lines, j, first)) j = skipBlank(lines, j);
  }
  return [{ t: 'list', ordered: first.ordered, start: first.start, items }, j];
}

function skipBlank(lines: string[], j: number): number {
  while (j < lines.length && isBlank(lines[j] ?? '')) j++;
  return j;
}

function continuesItem(lines: string[], j: number, indent: number): boolean {
  const next = lines[skipBlank(lines, j)];
  return next !== undefined && indentOf(next) > indent + 1;
}

function nextSibling(lines: string[], j: number, first: Marker): boolean {
  const marker = listMarker(lines[skipBlank(lines, j)] ?? '');
  return marker !== undefined && marker.ordered === first.ordered && Math.abs(marker.indent - first.indent) <= 1;
}

function startsBlock(lines: string[], i: number): boolean {
  const line = lines[i] ?? '';
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || listMarker(line) !== undefined;
}

function parseParagraph(lines: string[], i: number, depth: number): [Block, number] {
  const own: string[] = [lines[i] ?? ''];
  let j = i + 1;
  while (j < lines.length && !isBlank(lines[j] ?? '') && !startsBlock(lines, j) && !isTableStart(lines, j)) {
    own.push(lines[j] ?? '');
    j++;
  }
  const children: Inline[] = [];
  own.forEach((line, n) => {
    if (n > 0) children.push({ t: 'br' });
    children.push(...parseInline(line.trim(), depth));
  });
  return [{ t: 'paragraph', children }, j];
}

function isTableStart(lines: string[], i: number): boolean {
  const head = lines[i] ?? '';
  const delimiter = lines[i + 1] ?? '';
  return (
    head.includes('|') && delimiter.includes('-') && TABLE_DELIMITER.test(delimiter) && splitRow(head).length === splitRow(delimiter).length
  );
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k] ?? '';
    if (ch === '\\' && s[k + 1] === '|') {
      cell += '|';
      k++;
    } else if (ch === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

function parseTable(lines: string[], i: number): [Block, number] {
  const head = splitRow(lines[i] ?? '');
  const align: Align[] = splitRow(lines[i + 1] ?? '').map((c) => {
    const left = c.startsWith(':');
    const right = c.endsWith(':');
    return left && right ? 'center' : right ? 'right' : left ? 'left' : undefined;
  });
  const rows: Inline[][][] = [];
  let j = i + 2;
  for (; j < lines.length; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line) || !line.includes('|')) break;
    const cells = splitRow(line);
    rows.push(head.map((_, k) => parseInline(cells[k] ?? '')));
  }
  return [{ t: 'table', align, head: head.map((c) => parseInline(c)), rows }, j];
}

// ---------- inline pass ----------

/** `rich: false` is the plain `text` message: only mentions and links mean something there. */
export interface InlineOptions {
  rich?: boolean;
}

const AT_TAG = /^<at\s+([^>]*)>([\s\S]*?)<\/at>/i;
const FONT_TAG = /^<font\s+color\s*=\s*['"]?([#\w-]+)['"]?\s*>([\s\S]*?)<\/font>/i;
const BR_TAG = /^<br\s*\/?>/i;
const AUTOLINK = /^<(https?:\/\/[^\s<>]+)>/i;
const BARE_URL = /^https?:\/\/[^\s<>]+/i;
const ESCAPABLE = /[\\`*_{}[\]()#+\-.!|~<>]/;

export function isHttpUrl(href: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(href.trim());
}

export function parseInline(src: string, depth = 0, options: InlineOptions = {}): Inline[] {
  const rich = options.rich !== false && depth < MAX_DEPTH;
  const out: Inline[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ t: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < src.length) {
    const found = inlineAt(src, i, depth, rich);
    if (found) {
      flush();
      if (found.node) out.push(found.node);
      i = found.end;
    } else if (rich && src[i] === '\\' && ESCAPABLE.test(src[i + 1] ?? '')) {
      text += src[i + 1];
      i += 2;
    } else {
      text += src[i];
      i++;
    }
  }
  flush();
  return out;
}

interface Found {
  node: Inline | undefined;
  end: number;
}

function inlineAt(src: string, i: number, depth: number, rich: boolean): Found | undefined {
  if (depth >= MAX_DEPTH) return undefined;
  const ch = src[i];
  const rest = src.slice(i);
  if (ch === '<') return tagAt(rest, i, depth, rich);
  if (ch === 'h' && wordStart(src, i)) {
    const url = BARE_URL.exec(rest);
    if (url) {
      const href = trimUrl(url[0]);
      return { node: { t: 'link', href, children: [{ t: 'text', text: href }] }, end: i + href.length };
    }
  }
  if (ch === '[' || (ch === '!' && src[i + 1] === '[')) return linkAt(src, i, depth, rich);
  if (!rich) return undefined;
  if (ch === '`') return codeAt(src, i);
  if (ch === '*' || ch === '_' || ch === '~') return emphasisAt(src, i, depth);
  return undefined;
}

function tagAt(rest: string, i: number, depth: number, rich: boolean): Found | undefined {
  const at = AT_TAG.exec(rest);
  if (at) return { node: mention(at[1] ?? '', at[2] ?? ''), end: i + at[0].length };
  const br = BR_TAG.exec(rest);
  if (br) return { node: { t: 'br' }, end: i + br[0].length };
  const auto = AUTOLINK.exec(rest);
  if (auto) return { node: { t: 'link', href: auto[1] ?? '', children: [{ t: 'text', text: auto[1] ?? '' }] }, end: i + auto[0].length };
  if (!rich) return undefined;
  const font = FONT_TAG.exec(rest);
  if (font)
    return {
      node: { t: 'font', color: (font[1] ?? '').toLowerCase(), children: parseInline(font[2] ?? '', depth + 1) },
      end: i + font[0].length,
    };
  return undefined;
}

/** `<at id=ou_x></at>`, `<at user_id="ou_x">Tom</at>`, `<at email=…>`: the name is filled in from `names` when drawn. */
function mention(attrs: string, inner: string): Inline {
  const attr = /(?:^|\s)(?:id|user_id|open_id|email)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attrs);
  const id = attr?.[1] ?? attr?.[2] ?? attr?.[3] ?? '';
  return { t: 'at', id, name: inner.trim() };
}

function wordStart(src: string, i: number): boolean {
  return i === 0 || !/[A-Za-z0-9]/.test(src[i - 1] ?? '');
}

/** Sentence punctuation after a URL is not part of it; a closing bracket is, when the URL opened one. */
function trimUrl(url: string): string {
  let end = url.length;
  while (end > 0) {
    const last = url[end - 1] ?? '';
    if (/[.,;:!?'"*_~]/.test(last)) end--;
    else if (last === ')' && count(url.slice(0, end), '(') < count(url.slice(0, end), ')')) end--;
    else break;
  }
  return url.slice(0, end);
}

const count = (s: string, ch: string): number => s.split(ch).length - 1;

/** `[text](url)` and `![alt](key)`. Only http(s) targets become links; any other target leaves just the text. */
function linkAt(src: string, i: number, depth: number, rich: boolean): Found | undefined {
  const image = src[i] === '!';
  const open = image ? i + 1 : i;
  const close = matching(src, open, '[', ']');
  if (close < 0 || src[close + 1] !== '(') return undefined;
  const end = matching(src, close + 1, '(', ')');
  if (end < 0) return undefined;
  const label = src.slice(open + 1, close);
  const target = src
    .slice(close + 2, end)
    .trim()
    .replace(/\s+["'][^"']*["']$/, '');
  if (image) return { node: { t: 'image', alt: label }, end: end + 1 };
  const children = parseInline(label, depth + 1, { rich });
  if (!isHttpUrl(target)) return { node: { t: 'span', children }, end: end + 1 };
  return { node: { t: 'link', href: target, children }, end: end + 1 };
}

function matching(src: string, open: number, opener: string, closer: string): number {
  let level = 0;
  for (let k = open; k < src.length; k++) {
    const ch = src[k];
    if (ch === '\\') k++;
    else if (ch === opener) level++;
    else if (ch === closer && --level === 0) return k;
    else if (ch === '\n') return -1;
  }
  return -1;
}

function codeAt(src: string, i: number): Found | undefined {
  let n = 0;
  while (src[i + n] === '`') n++;
  const fence = '`'.repeat(n);
  let from = i + n;
  for (;;) {
    const close = src.indexOf(fence, from);
    if (close < 0) return { node: { t: 'text', text: fence }, end: i + n };
    let runEnd = close;
    while (src[runEnd] === '`') runEnd++;
    if (runEnd - close === n) {
      const body = src.slice(i + n, close);
      const trimmed = /^ .* $/.test(body) && body.trim() ? body.slice(1, -1) : body;
      return { node: { t: 'code', text: trimmed }, end: runEnd };
    }
    from = runEnd;
  }
}

/**
 * `**strong**`, `__strong__`, `*em*`, `_em_`, `~~del~~`. The opener must be followed, and the
 * closer preceded, by a non-space; `_` inside a word (snake_case) is not emphasis. The closer is
 * the last of a run of the delimiter so `***both***` nests.
 */
function emphasisAt(src: string, i: number, depth: number): Found | undefined {
  const ch = src[i] ?? '';
  const run = src[i + 1] === ch;
  if (ch === '~' && !run) return undefined;
  if (ch === '_' && !wordStart(src, i)) return undefined;
  const delim = run ? ch + ch : ch;
  const start = i + delim.length;
  if (start >= src.length || /\s/.test(src[start] ?? '')) return undefined;
  let close = src.indexOf(delim, start + 1);
  while (close >= 0) {
    let runLength = 0;
    while (src[close + runLength] === ch) runLength++;
    const last = close + runLength - delim.length;
    // Inside `*…*` a `**` run opens or closes a nested strong, not this emphasis.
    const nested = delim.length === 1 && runLength === 2;
    const after = src[last + delim.length] ?? '';
    const okAfter = ch !== '_' || !/[A-Za-z0-9]/.test(after);
    if (!nested && last > start && !/\s/.test(src[last - 1] ?? '') && okAfter) {
      close = last;
      break;
    }
    close = src.indexOf(delim, close + runLength);
  }
  if (close < 0) return undefined;
  const kind = ch === '~' ? 'del' : run ? 'strong' : 'em';
  return { node: { t: kind, children: parseInline(src.slice(start, close), depth + 1) }, end: close + delim.length };
}
