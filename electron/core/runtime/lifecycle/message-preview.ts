/** Longest preview shown in the UI's activity list (contract `botActivitySchema.preview`). */
export const PREVIEW_MAX_CHARS = 120;

/**
 * One line of at most `max` characters (code points, so an emoji or a CJK character is never cut
 * in half), ending in "…" when shortened.
 */
export function previewText(text: string, max = PREVIEW_MAX_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  if (chars.length <= max) return flat;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}
