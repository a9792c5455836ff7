import { describe, expect, it } from 'vitest';
import { type Block, type Inline, isHttpUrl, parseInline, parseMarkdown } from './markdown-parse';

const only = (blocks: Block[]): Block => {
  expect(blocks).toHaveLength(1);
  return blocks[0] as Block;
};

function textOf(nodes: Inline[]): string {
  return nodes
    .map((n) => {
      if (n.t === 'text' || n.t === 'code') return n.text;
      if (n.t === 'br') return '\n';
      if (n.t === 'at') return `@${n.name || n.id}`;
      if (n.t === 'image') return n.alt;
      return textOf(n.children);
    })
    .join('');
}

describe('markdown blocks', () => {
  it('keeps every line of a fenced code block, blank lines and markup included, with its language', () => {
    const block = only(parseMarkdown('```python\ndef f():\n\n    return **x**\n```'));
    expect(block).toEqual({ t: 'code', lang: 'python', text: 'def f():\n\n    return **x**' });
  });

  it('runs an unclosed fence (a streaming answer) to the end of the text', () => {
    const blocks = parseMarkdown('intro\n```ts\nconst a = 1;\nconst b = 2;');
    expect(blocks[1]).toEqual({ t: 'code', lang: 'ts', text: 'const a = 1;\nconst b = 2;' });
  });

  it('nests a list indented under an item inside that item', () => {
    const list = only(parseMarkdown('- a\n  - b\n  - c\n- d'));
    if (list.t !== 'list') throw new Error(`expected a list, got ${list.t}`);
    expect(list.items).toHaveLength(2);
    const [para, inner] = list.items[0] ?? [];
    expect(para?.t).toBe('paragraph');
    if (inner?.t !== 'list') throw new Error('expected a nested list');
    expect(inner.items.map((item) => (item[0]?.t === 'paragraph' ? textOf(item[0].children) : ''))).toEqual(['b', 'c']);
  });

  it('nests an unordered list under an ordered item and keeps the ordered start number', () => {
    const list = only(parseMarkdown('3. three\n   - sub\n4. four'));
    if (list.t !== 'list') throw new Error('expected a list');
    expect(list.ordered).toBe(true);
    expect(list.start).toBe(3);
    expect(list.items).toHaveLength(2);
    const inner = list.items[0]?.[1];
    expect(inner?.t === 'list' && !inner.ordered).toBe(true);
  });

  it('keeps a list going across a blank line between items', () => {
    const list = only(parseMarkdown('1. a\n\n2. b'));
    expect(list.t === 'list' && list.items.length).toBe(2);
  });

  it('reads headings, rules and block quotes', () => {
    const blocks = parseMarkdown('## Title\n---\n> quoted\n> more');
    expect(blocks.map((b) => b.t)).toEqual(['heading', 'hr', 'quote']);
    expect(blocks[0]?.t === 'heading' && blocks[0].level).toBe(2);
    const quote = blocks[2];
    expect(quote?.t === 'quote' && quote.blocks[0]?.t === 'paragraph' && textOf(quote.blocks[0].children)).toBe('quoted\nmore');
  });

  it('turns a single newline into a line break, as Lark does, and a blank line into a new paragraph', () => {
    const blocks = parseMarkdown('one\ntwo\n\nthree');
    expect(blocks).toHaveLength(2);
    expect(blocks[0]?.t === 'paragraph' && blocks[0].children.map((c) => c.t)).toEqual(['text', 'br', 'text']);
  });

  it('reads a table with its alignment', () => {
    const table = only(parseMarkdown('| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |'));
    if (table.t !== 'table') throw new Error('expected a table');
    expect(table.align).toEqual(['left', 'right']);
    expect(table.rows.map((r) => r.map(textOf))).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('survives pathological nesting without throwing', () => {
    expect(() => parseMarkdown('>'.repeat(5000) + ' deep')).not.toThrow();
    expect(() => parseMarkdown('['.repeat(5000) + '*'.repeat(5000))).not.toThrow();
  });
});

describe('markdown inlines', () => {
  it('reads bold, italic, strikethrough and bold-italic', () => {
    const nodes = parseInline('**b** *i* ~~s~~ ***bi***');
    expect(nodes.filter((n) => n.t !== 'text').map((n) => n.t)).toEqual(['strong', 'em', 'del', 'strong']);
    const last = nodes[nodes.length - 1];
    expect(last?.t === 'strong' && last.children[0]?.t).toBe('em');
  });

  it('leaves snake_case and a lone asterisk alone', () => {
    expect(parseInline('my_var_name and 2 * 3')).toEqual([{ t: 'text', text: 'my_var_name and 2 * 3' }]);
  });

  it('keeps markup inside inline code literal', () => {
    expect(parseInline('run `a **b** <at id=x></at>`')).toEqual([
      { t: 'text', text: 'run ' },
      { t: 'code', text: 'a **b** <at id=x></at>' },
    ]);
  });

  it('makes links of http(s) targets only; other targets keep just their text', () => {
    const [link] = parseInline('[docs](https://open.feishu.cn/x)');
    expect(link).toEqual({ t: 'link', href: 'https://open.feishu.cn/x', children: [{ t: 'text', text: 'docs' }] });
    const nodes = parseInline('[click](javascript:alert(1))');
    expect(JSON.stringify(nodes)).not.toContain('"link"');
    expect(textOf(nodes)).toBe('click');
    expect(isHttpUrl('file:///etc/passwd')).toBe(false);
  });

  it('links a bare URL without the sentence punctuation after it', () => {
    const nodes = parseInline('see https://example.com/a.b.');
    expect(nodes[1]).toEqual({ t: 'link', href: 'https://example.com/a.b', children: [{ t: 'text', text: 'https://example.com/a.b' }] });
    expect(nodes[2]).toEqual({ t: 'text', text: '.' });
  });

  it('reads both mention forms', () => {
    expect(parseInline('<at id=ou_1></at> hi <at user_id="ou_2">Tom</at>')).toEqual([
      { t: 'at', id: 'ou_1', name: '' },
      { t: 'text', text: ' hi ' },
      { t: 'at', id: 'ou_2', name: 'Tom' },
    ]);
  });

  it('leaves a mention made inert by the sanitizer (zero-width space after <) as text', () => {
    const text = '<\u200Bat id=all></at>';
    expect(parseInline(text)).toEqual([{ t: 'text', text }]);
  });

  it('reads <font color> around formatted text', () => {
    const [font] = parseInline("<font color='red'>**err**</font>");
    expect(font?.t === 'font' && font.color).toBe('red');
    expect(font?.t === 'font' && font.children[0]?.t).toBe('strong');
  });

  it('keeps other HTML, <script> included, as plain text', () => {
    expect(parseInline('<script>alert(1)</script>')).toEqual([{ t: 'text', text: '<script>alert(1)</script>' }]);
  });

  it('in plain text mode reads only mentions and links', () => {
    const nodes = parseInline('**x** <at id=ou_1></at> https://a.io', 0, { rich: false });
    expect(nodes.map((n) => n.t)).toEqual(['text', 'at', 'text', 'link']);
    expect(nodes[0]).toEqual({ t: 'text', text: '**x** ' });
  });
});
