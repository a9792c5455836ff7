import { describe, expect, it } from 'vitest';
import { findCut, POST_MD_BUDGET_BYTES, postContent, splitMarkdown } from './markdown';

describe('splitMarkdown', () => {
  it('keeps a short answer whole', () => {
    expect(splitMarkdown('hello **world**')).toEqual(['hello **world**']);
  });

  it('splits a long answer into parts under the byte budget that join back to the same paragraphs', () => {
    const paragraphs = Array.from({ length: 200 }, (_, i) => `Paragraph ${i} ` + 'x'.repeat(200));
    const text = paragraphs.join('\n\n');
    const parts = splitMarkdown(text, 5000);
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(5000);
    expect(parts.join('\n\n')).toBe(text);
  });

  it('closes a code fence at a cut and reopens it with its language in the next part', () => {
    const code = Array.from({ length: 400 }, (_, i) => `print(${i})`).join('\n');
    const text = 'Intro\n\n```python\n' + code + '\n```\n\nOutro';
    const parts = splitMarkdown(text, 1500);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect((p.match(/```/g) ?? []).length % 2).toBe(0);
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(1500);
    }
    expect(parts[1]!.startsWith('```python\n')).toBe(true);
    const lines = parts
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('print('));
    expect(lines).toHaveLength(400);
  });

  it('splits a 60,000-character paragraph between words: every word of it intact in one part', () => {
    const words = Array.from({ length: 10_500 }, (_, i) => `w${i}`);
    const text = words.join(' ');
    expect(text.length).toBeGreaterThan(60_000);
    const parts = splitMarkdown(text);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(POST_MD_BUDGET_BYTES);
    expect(parts.join('')).toBe(text);
    expect(parts.flatMap((p) => p.split(/\s+/).filter(Boolean))).toEqual(words);
  });

  it('never cuts inside a URL, a markdown link or an inline code span', () => {
    const filler = 'word '.repeat(170); // the budget falls inside what follows
    for (const span of [
      'https://example.com/a/very/long/path/that/must/stay/whole?with=query&and=more',
      '[a link whose text has several words](https://example.com/page)',
      '`an inline code span with spaces inside it`',
    ]) {
      const text = `${filler}${span} and more words after it ${'tail '.repeat(200)}`;
      const parts = splitMarkdown(text, 900);
      expect(parts.join('')).toBe(text);
      expect(parts.some((p) => p.includes(span))).toBe(true);
    }
  });

  it('cuts CJK text, which has no spaces, between characters', () => {
    const cut = findCut('漢字'.repeat(100) + ' end', 90);
    expect(cut).toBe(30);
  });

  it('counts bytes, not characters, for CJK text', () => {
    const text = '你好'.repeat(3000); // 18,000 bytes, 6,000 characters
    const parts = splitMarkdown(text, 5000);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(5000);
    expect(parts.join('')).toBe(text);
  });
});

describe('postContent', () => {
  it('wraps markdown in a post with one md element', () => {
    expect(JSON.parse(postContent('**hi**'))).toEqual({ zh_cn: { content: [[{ tag: 'md', text: '**hi**' }]] } });
  });
});
