import { describe, expect, it } from 'vitest';
import { PREVIEW_MAX_CHARS, previewText } from './message-preview';

describe('previewText', () => {
  it('keeps a short message as one line', () => {
    expect(previewText('  hello\n\nthere  ')).toBe('hello there');
  });

  it('shortens to at most 120 characters without splitting a character', () => {
    const long = '你好👋'.repeat(100);
    const preview = previewText(long);
    expect([...preview]).toHaveLength(PREVIEW_MAX_CHARS);
    expect(preview.endsWith('…')).toBe(true);
    expect(long.startsWith(preview.slice(0, -1))).toBe(true);
  });
});
