import { plannedSteps } from '../../../core/index.ts';

/**
 * Optimizer steps of the run, for schedules: an explicit override, else whichever limit stops the
 * run first, `maxSteps` (if set) or epochs × batches per epoch (an upper bound when steps are skipped, e.g. gradient
 * accumulation: pass `totalSteps` then). At least 1, so schedules never divide by zero.
 */
export function totalSteps(o: { override: number; maxSteps: number; epochs: number; batchesPerEpoch: number }): number {
  const n = o.override > 0 ? o.override : (plannedSteps(o.maxSteps, o.epochs, o.batchesPerEpoch) ?? o.maxSteps);
  return Math.max(1, n);
}
