import type * as tf from '@tensorflow/tfjs-core';

/**
 * A batch is a record of named tensors. Conventions, so plugins compose:
 *  - `inputs`  int32 [B, T] token ids
 *  - `targets` int32 [B, T] next-token or masked-token targets (language modelling)
 *  - `mask`    float32 [B, T] 1 where a target counts toward the loss, 0 for padding/prompt
 *  - `labels`  int32 [B] class ids (classification)
 *  - `lengths` int32 [B] real lengths of padded sequences
 *  - `negatives` int32 [B, K] sampled negative ids per example (skip-gram with negative sampling:
 *    `inputs` [B] centre words, `targets` [B] their context words, `dataset:skip-gram`)
 * A batch owns its tensors: the trainer disposes them after the step.
 *
 * `inputs` is the batch's declared model input: its rows are the batch's examples and its size its
 * tokens (`batchCounts`), which the trainer uses for `state.examples` / `state.tokens` and as the
 * batch's weight in an evaluation's mean loss. A dataset whose batches have no `inputs` declares
 * its counts with `DatasetPlugin.countsOf(batch)`.
 */
export type Batch = Record<string, tf.Tensor> & {
  inputs?: tf.Tensor;
  targets?: tf.Tensor;
  mask?: tf.Tensor;
  labels?: tf.Tensor;
  lengths?: tf.Tensor;
  negatives?: tf.Tensor;
};

/** How much a batch holds: examples (rows; an evaluation's weight) and tokens (throughput). */
export interface BatchCounts {
  readonly examples: number;
  readonly tokens: number;
}

/**
 * The counts of a batch from its declared input: `inputs`' first dimension and size (padding
 * included). A third-party batch that declares no `inputs` (and whose dataset has no `countsOf`)
 * falls back to its first tensor, as before these counts were declared; a scalar counts as one
 * example. `undefined` for an empty batch.
 */
export function batchCounts(batch: Batch): BatchCounts | undefined {
  const inputs = batch.inputs ?? Object.values(batch)[0];
  if (!inputs) return undefined;
  return { examples: inputs.rank === 0 ? 1 : inputs.shape[0]!, tokens: inputs.size };
}

/**
 * Named outputs of the forward pass. Typed conventions:
 *  - `features`  [B, T, D] (or [B, D]) from the backbone, D = the model's `featureSize`
 *  - `logits`    from the head
 *  - `lengths`   int32 [B], passed on from the batch for padded sequences
 *  - `rawHidden` [B, T, H] a recurrent backbone's last-layer states before output dropout (TAR)
 * The model's own outputs reach `onLoss` as `ctx.modelOutputs` whatever the head returns, so a
 * head need not pass backbone fields through for the model's regularisers.
 */
export type Outputs = Record<string, tf.Tensor> & {
  features?: tf.Tensor;
  logits?: tf.Tensor;
  lengths?: tf.Tensor;
  rawHidden?: tf.Tensor;
};

/**
 * A copy of `outputs` with `key` set: what a head returns. Not `{ ...outputs, [key]: value }`:
 * on Node 20's V8 an object spread that gets another property costs about a microsecond (a new
 * hidden class every time; `Object.assign` reuses one), and this runs every step.
 */
export function withOutput(outputs: Outputs, key: string, value: tf.Tensor): Outputs {
  const out: Outputs = Object.assign({}, outputs);
  out[key] = value;
  return out;
}

export type Split = 'train' | 'validation' | 'test';

export function disposeBatch(b: Batch | undefined): void {
  if (!b) return;
  for (const t of Object.values(b)) if (!t.isDisposed) t.dispose();
}
