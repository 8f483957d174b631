export interface RunLengthInput {
  /** Labelled training examples (after subsampling). */
  examples: number;
  batchSize: number;
  /** Epochs asked for. */
  epochs: number;
  /** Raise the epochs until the run takes at least this many steps (0: off). */
  minSteps: number;
  /** Stop after this many steps (0: no cap). */
  maxSteps: number;
}

/**
 * Trainer `epochs` and `maxSteps` of a classifier run. 50 examples are two batches an epoch: a few
 * epochs are a handful of steps, too few to learn anything, so small sets get more epochs (and
 * gradual unfreezing, one layer group an epoch, reaches the bottom sooner in steps). Large sets
 * are capped in steps so an experiment over many sizes and seeds keeps to a time budget.
 */
export function classifierRunLength(o: RunLengthInput): { epochs: number; maxSteps: number } {
  const batches = Math.max(1, Math.ceil(o.examples / o.batchSize));
  const epochs = Math.max(o.epochs, Math.ceil(o.minSteps / batches));
  return { epochs, maxSteps: o.maxSteps };
}
