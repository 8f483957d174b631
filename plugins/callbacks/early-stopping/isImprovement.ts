/**
 * Whether `value` beats `best` by more than `minDelta` (lower is better in `min` mode). Any
 * finite value beats no best at all; NaN never improves, so a diverging run still runs out of
 * patience.
 */
export function isImprovement(value: number, best: number | null, mode: 'min' | 'max', minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return mode === 'min' ? value < best - minDelta : value > best + minDelta;
}
