/**
 * How many timed steps fit in `allowanceMs` at `stepMs` a step, clamped to [min, max]: the bench
 * keeps to its time budget on a slow or loaded machine and still times at least `min` steps.
 */
export function planSteps(allowanceMs: number, stepMs: number, min: number, max: number): number {
  if (!(min >= 0 && max >= min)) throw new Error(`planSteps: need 0 <= min <= max, got ${min}, ${max}`);
  if (!(stepMs > 0) || !Number.isFinite(stepMs)) return min;
  return Math.max(min, Math.min(max, Math.floor(allowanceMs / stepMs)));
}
