import * as tf from '@tensorflow/tfjs-core';

/** What a pooled feature vector is made of, in this order: the state at the last real position, the max and the mean over time. */
export const POOLINGS = ['last', 'max', 'mean'] as const;
export type Pooling = (typeof POOLINGS)[number];

/**
 * ULMFiT's concat pooling of features x [B, T, H] into [B, 3H] = [h_last, max_t h_t, mean_t h_t]
 * (or the `pools` asked for, each H wide, in that order),
 * where h_last is the state at each sequence's last real position (lengths[b] - 1; T - 1 for every
 * row when `lengths` is absent). Positions at or beyond a sequence's length (right padding) are
 * masked out of the max and the mean. Lengths are clamped to [1, T].
 */
export function concatPooling(x: tf.Tensor, lengths?: tf.Tensor, pools: readonly Pooling[] = POOLINGS): tf.Tensor {
  const pick = (parts: Record<Pooling, () => tf.Tensor>) => (pools.length === 1 ? parts[pools[0]!]() : tf.concat(POOLINGS.filter((p) => pools.includes(p)).map((p) => parts[p]()), 1));
  const [B, T, H] = x.shape as [number, number, number];
  if (!lengths) {
    return pick({ last: () => tf.reshape(tf.slice(x, [0, T - 1, 0], [B, 1, H]), [B, H]), max: () => tf.max(x, 1), mean: () => tf.mean(x, 1) });
  }
  // clipped in float32: tfjs-backend-wasm 4.22's ClipByValue reads int32 data as float32 (garbage)
  const len = tf.cast(tf.clipByValue(tf.cast(lengths, 'float32'), 1, T), 'int32') as tf.Tensor1D;
  // valid [B, T, 1]: t < length
  const valid = tf.expandDims(tf.less(tf.expandDims(tf.range(0, T, 1, 'int32'), 0), tf.expandDims(len, 1)), 2);
  return pick({
    last: () => {
      // tf.oneHot needs a depth of 2 or more; with T = 1 the only position is the last (a batch of one-token texts)
      const lastSel = T === 1 ? tf.ones([B, 1, 1]) : tf.expandDims(tf.oneHot(tf.sub(len, tf.scalar(1, 'int32')) as tf.Tensor1D, T), 2); // [B, T, 1]
      return tf.sum(tf.mul(x, tf.cast(lastSel, 'float32')), 1);
    },
    // padded positions get the lowest float, so they never win the max (and get no gradient)
    max: () => tf.max(tf.where(tf.broadcastTo(valid, [B, T, H]), x, tf.fill([B, T, H], -3.4e38)), 1),
    mean: () => tf.div(tf.sum(tf.mul(x, tf.cast(valid, 'float32')), 1), tf.cast(tf.expandDims(len, 1), 'float32')),
  });
}
