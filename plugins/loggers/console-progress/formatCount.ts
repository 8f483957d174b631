/** A rate or count in a few characters: `12.3`, `456`, `1.2k`, `3.4M`, `5.6G`. */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return '?';
  const a = Math.abs(x);
  if (a < 100) return x.toFixed(1);
  if (a < 1e3) return x.toFixed(0);
  if (a < 1e6) return `${(x / 1e3).toFixed(1)}k`;
  if (a < 1e9) return `${(x / 1e6).toFixed(1)}M`;
  return `${(x / 1e9).toFixed(1)}G`;
}
