export interface RunLengthInput {
  /** Labelled training examples (after subsampling). */
  examples: number;
  batchSize: number;
  /** Whether the last partial batch of an epoch is dropped. */
  dropLast: boolean;
  /** Epochs asked for. */
  epochs: number;
  /** Raise the epochs until the run takes at least this many steps (0: off). */
  minSteps: number;
  /** Stop after this many steps (0: no cap). */
  maxSteps: number;
  /** Layer groups of the classifier (embedding, each LSTM layer, head), for gradual unfreezing. */
  layerGroups: number;
  /** Epochs between unfreezing one more group (0: no gradual unfreezing). */
  unfreezeEvery: number;
}

export interface RunLength {
  epochs: number;
  maxSteps: number;
  /** Epochs the run will start (the last one possibly cut short by maxSteps). */
  epochsRun: number;
  /** Unfreeze every `unfreezeEvery` epochs, or 0: every group trains from the first step. */
  unfreezeEvery: number;
}

/**
 * Trainer `epochs` and `maxSteps` of a classifier run, and whether gradual unfreezing fits in it.
 * 50 examples are one or two batches an epoch: a few epochs are a handful of steps, too few to
 * learn anything, so small sets get more epochs (and gradual unfreezing, one layer group an epoch,
 * reaches the bottom sooner in steps). Large sets are capped in steps so an experiment over many
 * sizes and seeds keeps to a time budget; when the cap leaves fewer epochs than it takes to
 * unfreeze the bottom group, every group trains from the start instead (still at its
 * discriminative rate), rather than the lower layers never training at all.
 */
export function classifierRunLength(o: RunLengthInput): RunLength {
  const batches = Math.max(1, (o.dropLast ? Math.floor : Math.ceil)(o.examples / o.batchSize));
  const epochs = Math.max(o.epochs, Math.ceil(o.minSteps / batches));
  const epochsRun = o.maxSteps > 0 ? Math.min(epochs, Math.ceil(o.maxSteps / batches)) : epochs;
  const bottomUnfrozenAt = (o.layerGroups - 1) * o.unfreezeEvery;
  const unfreezeEvery = o.unfreezeEvery > 0 && bottomUnfrozenAt < epochsRun ? o.unfreezeEvery : 0;
  return { epochs, maxSteps: o.maxSteps, epochsRun, unfreezeEvery };
}

/**
 * Drop the last partial training batch (as fastai's training loader does) whenever there is a full
 * one: the classifier head's BatchNorm updates its running statistics from every training batch,
 * and a last batch of a few examples, one step in three at 100 examples, skews them (measured: the
 * same weights scored 0.76 accuracy on their own training set in evaluation mode, 0.96 in training
 * mode). Which examples are dropped changes with the epoch's shuffle.
 */
export function dropLast(examples: number, batchSize: number): boolean {
  return examples > batchSize;
}
