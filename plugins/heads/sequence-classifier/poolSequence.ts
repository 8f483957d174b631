import * as tf from '@tensorflow/tfjs-core';

/** How a sequence of features [B, T, D] becomes one vector per row [B, D]. */
export type SequencePooling = 'first' | 'mean' | 'last';

/**
 * Pools features x [B, T, D] into [B, D], for right-padded rows of real lengths `lengths` [B]
 * (every position is real when absent):
 *
 * - `first`: x[b, 0] (the CLS / BOS token of an encoder);
 * - `mean`: the mean of x[b, t] over t < lengths[b];
 * - `last`: x[b, lengths[b] − 1], the last real token (what a causal model has read everything at).
 *
 * Lengths are clamped to [1, T]. Padding is exact: positions at or beyond a row's length are
 * selected away with `tf.where` (not multiplied by 0), so the result is bit-identical whatever the
 * features there hold (even Inf or NaN) and they get a zero gradient.
 */
export function poolSequence(x: tf.Tensor, pooling: SequencePooling, lengths?: tf.Tensor): tf.Tensor2D {
  const [B, T, D] = x.shape as [number, number, number];
  if (pooling === 'first') return tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, D]), [B, D]);
  if (!lengths) {
    if (pooling === 'mean') return tf.mean(x, 1) as tf.Tensor2D;
    return tf.reshape(tf.slice(x, [0, T - 1, 0], [B, 1, D]), [B, D]);
  }
  // clipped in float32: tfjs-backend-wasm 4.22's ClipByValue reads int32 data as float32 (garbage)
  const len = tf.cast(tf.clipByValue(tf.cast(lengths, 'float32'), 1, T), 'int32') as tf.Tensor1D;
  const pos = tf.expandDims(tf.range(0, T, 1, 'int32'), 0); // [1, T]
  const keep =
    pooling === 'mean'
      ? tf.less(pos, tf.expandDims(len, 1)) // t < length
      : tf.equal(pos, tf.expandDims(tf.sub(len, tf.scalar(1, 'int32')), 1)); // t = length - 1
  const selected = tf.where(tf.broadcastTo(tf.expandDims(keep, 2), [B, T, D]), x, tf.zerosLike(x));
  const sum = tf.sum(selected, 1) as tf.Tensor2D;
  return pooling === 'mean' ? tf.div(sum, tf.cast(tf.expandDims(len, 1), 'float32')) : sum;
}

/** `auto` pooling: the last real token for a causal model (`causal === true`), else the first. */
export function autoPooling(causal: boolean | undefined): SequencePooling {
  return causal === true ? 'last' : 'first';
}
