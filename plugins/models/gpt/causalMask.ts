import * as tf from '@tensorflow/tfjs-core';

/**
 * Added to the scores of masked pairs. Finite (not -Infinity) so that a row with every key masked
 * gives a uniform softmax instead of NaN; after the max shift exp() of it underflows to exactly 0.
 */
export const MASKED = -1e9;

/**
 * The additive causal mask [T, T]: 0 where key j <= query i, MASKED above the diagonal.
 * Built on the JS side in one allocation, so it is cheap to make once and cache per T.
 */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) m.fill(MASKED, i * T + i + 1, (i + 1) * T);
  const mask = tf.tensor2d(m, [T, T], 'float32');
  causalMasks.add(mask.dataId);
  return mask;
}

/**
 * The data of masks made by causalMask: attention may then use a fused causal kernel instead of
 * adding them. Keyed by data, not tensor, so that clones sharing it (the copies the gradient tape
 * and activation checkpointing save and replay) are recognised too.
 */
const causalMasks = new WeakSet<object>();

/** True for a tensor holding a mask made by `causalMask` (tensors are immutable: it still holds it). */
export function isCausalMask(t: tf.Tensor | null): boolean {
  return t != null && causalMasks.has(t.dataId);
}

/**
 * Additive key-padding bias [B, 1, 1, T] from real lengths [B]: MASKED at keys j >= lengths[b],
 * so padded positions receive no attention. Tensor ops only, no read back to JS.
 */
export function paddingBias(lengths: tf.Tensor, T: number): tf.Tensor4D {
  return tf.tidy(() => {
    const B = lengths.shape[0]!;
    const pos = tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]);
    const pad = tf.greaterEqual(pos, tf.reshape(tf.cast(lengths, 'int32'), [B, 1]));
    return tf.reshape(tf.mul(tf.cast(pad, 'float32'), MASKED), [B, 1, 1, T]) as tf.Tensor4D;
  });
}
