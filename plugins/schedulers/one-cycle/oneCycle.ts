export interface OneCycleOptions {
  pctStart: number;
  divFactor: number;
  finalDivFactor: number;
}

/** Cosine interpolation from `a` (pos 0) to `b` (pos 1), as fastai's SchedCos. */
function cosBetween(a: number, b: number, pos: number): number {
  return b + ((a - b) * (1 + Math.cos(Math.PI * pos))) / 2;
}

/**
 * Smith's one-cycle policy, with fastai's cosine phases over the run's fraction `step/total`:
 * from peak/divFactor up to the peak over `pctStart`, then down to peak/(divFactor·finalDivFactor).
 * Returns the multiplier of the peak.
 */
export function oneCycle(step: number, totalSteps: number, o: OneCycleOptions): number {
  const start = 1 / o.divFactor;
  const end = start / o.finalDivFactor;
  const pct = Math.min(1, Math.max(0, step / Math.max(1, totalSteps)));
  if (pct < o.pctStart) return cosBetween(start, 1, pct / o.pctStart);
  return cosBetween(1, end, (pct - o.pctStart) / (1 - o.pctStart));
}
