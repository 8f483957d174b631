import { plannedSteps } from '../../../core/index.ts';

/** Where a run is and where it stops, as the trainer state and the dataset tell it. */
export interface RunPosition {
  step: number;
  epoch: number;
  batchInEpoch: number;
  /** 0: no step limit. */
  maxSteps: number;
  maxEpochs: number;
  batchesPerEpoch: number;
}

/** Steps the run will take (see `plannedSteps` in core). */
export function totalSteps(p: RunPosition): number | undefined {
  return plannedSteps(p.maxSteps, p.maxEpochs, p.batchesPerEpoch);
}

/**
 * Fraction of the run done, in [0, 1]: whichever limit is nearer, by steps or by batches seen
 * (batches, not steps, so gradient accumulation does not skew it). Undefined without a limit.
 */
export function fractionDone(p: RunPosition): number | undefined {
  let f: number | undefined;
  if (p.maxSteps > 0) f = p.step / p.maxSteps;
  const batches = p.maxEpochs * p.batchesPerEpoch;
  if (batches > 0) f = Math.max(f ?? 0, (p.epoch * p.batchesPerEpoch + p.batchInEpoch) / batches);
  return f === undefined ? undefined : Math.min(1, Math.max(0, f));
}

/** Whether the epochs end the run, rather than a step limit reached first (then epochs are not worth showing). */
export function epochBound(p: RunPosition): boolean {
  return p.maxSteps <= 0 || p.batchesPerEpoch <= 0 || p.maxEpochs * p.batchesPerEpoch <= p.maxSteps;
}
