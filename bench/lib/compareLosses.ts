/**
 * Per-step losses of two implementations side by side. They agree when every compared step is
 * within `tolerance` (float32 tfjs vs float32 PyTorch: about 1e-5 at step 1, a little more after a
 * few updates, when the math is the same).
 */
export interface LossComparison {
  steps: number;
  ours: number[];
  reference: number[];
  maxAbsDiff: number;
  tolerance: number;
  agree: boolean;
}

export function compareLosses(ours: readonly number[], reference: readonly number[], tolerance: number, steps = 3): LossComparison {
  const n = Math.min(steps, ours.length, reference.length);
  if (n === 0) throw new Error('compareLosses: nothing to compare');
  let maxAbsDiff = 0;
  for (let i = 0; i < n; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ours[i]! - reference[i]!));
  return {
    steps: n,
    ours: ours.slice(0, n),
    reference: reference.slice(0, n),
    maxAbsDiff,
    tolerance,
    agree: Number.isFinite(maxAbsDiff) && maxAbsDiff <= tolerance,
  };
}
