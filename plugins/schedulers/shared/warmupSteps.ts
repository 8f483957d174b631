/**
 * Warm-up length: `warmupSteps` if given, at most `totalSteps` (a run shorter than its warm-up
 * ends at the peak rather than below it), else `floor(warmupFraction * totalSteps)`.
 */
export function warmupSteps(totalSteps: number, o: { warmupSteps?: number; warmupFraction: number }): number {
  return o.warmupSteps !== undefined ? Math.min(o.warmupSteps, totalSteps) : Math.floor(o.warmupFraction * totalSteps);
}

/**
 * Linear warm-up multiplier for `step < warmup`: (step+1)/warmup, so the first update already
 * moves (a zero rate would waste a step) and the last warm-up step reaches the peak.
 */
export function linearWarmup(step: number, warmup: number): number {
  return (step + 1) / warmup;
}
