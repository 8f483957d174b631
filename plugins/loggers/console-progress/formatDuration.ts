const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A duration for a progress line, two units at most: `45s`, `3m07s`, `2h05m`, `3d04h`.
 * Unknown or nonsensical durations (NaN, infinite, negative) print as `?`.
 */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad2(Math.floor((s % 86400) / 3600))}h`;
}
