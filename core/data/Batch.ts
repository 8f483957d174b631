import type * as tf from '@tensorflow/tfjs-core';

/**
 * A batch is a record of named tensors. Conventions, so plugins compose:
 *  - `inputs`  int32 [B, T] token ids
 *  - `targets` int32 [B, T] next-token or masked-token targets (language modelling)
 *  - `mask`    float32 [B, T] 1 where a target counts toward the loss, 0 for padding/prompt
 *  - `labels`  int32 [B] class ids (classification)
 *  - `lengths` int32 [B] real lengths of padded sequences
 * A batch owns its tensors: the trainer disposes them after the step.
 */
export type Batch = Record<string, tf.Tensor>;

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

export type Split = 'train' | 'validation' | 'test';

export function disposeBatch(b: Batch | undefined): void {
  if (!b) return;
  for (const t of Object.values(b)) if (!t.isDisposed) t.dispose();
}
