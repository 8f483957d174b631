/**
 * Where the run is. Saved in every checkpoint; `epoch` and `batchInEpoch` are the data position,
 * so a resumed run continues with the next batch of the same epoch in the same order.
 */
export interface TrainState {
  /** Current epoch, from 0. */
  epoch: number;
  /** Batches completed in the current epoch (including skipped ones). */
  batchInEpoch: number;
  /** Optimizer steps taken since the start of the run (the global step). */
  step: number;
  /** Examples (rows of `inputs`) seen. */
  examples: number;
  /** Tokens seen (elements of `inputs`), for tokens/s. */
  tokens: number;
  /** Epochs and steps this run will do at most. */
  maxEpochs: number;
  maxSteps: number;
  /** Latest metrics from evaluation, by name. */
  metrics: Record<string, number>;
  /** Why the run stopped, once it has. */
  stopReason?: string;
  /** Whether `fit` is inside the training loop. */
  training: boolean;
}

export function initialState(maxEpochs: number, maxSteps: number): TrainState {
  return { epoch: 0, batchInEpoch: 0, step: 0, examples: 0, tokens: 0, maxEpochs, maxSteps, metrics: {}, training: false };
}

/**
 * Optimizer steps the run will take: the step limit, or epochs × batches if that comes first
 * (one optimizer step a batch). Undefined when neither limit is known. Schedulers and progress
 * bars both size themselves from this.
 */
export function plannedSteps(maxSteps: number, maxEpochs: number, batchesPerEpoch: number): number | undefined {
  const byEpochs = batchesPerEpoch > 0 ? maxEpochs * batchesPerEpoch : undefined;
  if (maxSteps > 0) return byEpochs === undefined ? maxSteps : Math.min(maxSteps, byEpochs);
  return byEpochs;
}
