/** Figures for the bench's tables. */
export const median = (xs: number[]): number => quantile(xs, 0.5);

/** The q-quantile (nearest rank); NaN for no values. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const idx = Math.min(s.length - 1, Math.ceil(q * s.length) - 1);
  return s[Math.max(0, idx)]!;
}

export const fmt = (n: number, unit: string): string =>
  Number.isFinite(n) ? `${n.toFixed(unit === 'ms' ? (n < 10 ? 1 : 0) : 1)} ${unit}`.trim() : 'n/a';
