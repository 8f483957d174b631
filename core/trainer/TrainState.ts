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

/**
 * Epochs of a run that must take at least `minSteps` optimizer steps (0: off): `epochs`, raised to
 * ceil(minSteps / batchesPerEpoch) when that is more.
 */
export function epochsForMinSteps(epochs: number, minSteps: number, batchesPerEpoch: number): number {
  if (minSteps <= 0 || batchesPerEpoch <= 0) return epochs;
  return Math.max(epochs, Math.ceil(minSteps / batchesPerEpoch));
}

/**
 * The interval, in steps, of something done `perRun` times a run, evenly spaced:
 * max(1, round(planned / perRun)); `every` when `perRun` is 0 or the run's length is unknown.
 */
export function intervalPerRun(every: number, perRun: number, planned: number | undefined): number {
  if (perRun <= 0 || planned === undefined || planned <= 0) return every;
  return Math.max(1, Math.round(planned / perRun));
}
