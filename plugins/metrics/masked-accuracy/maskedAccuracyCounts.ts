import * as tf from '@tensorflow/tfjs-core';

/**
 * [correct, counted] for one batch as a [2] float32 tensor: the positions that count are those
 * where `mask` [...] is non-zero (every position when `mask` is absent); a position is correct
 * when the argmax of `logits` [..., V] (the first one on ties) equals the target id `targets` [...].
 * Sums of 0/1 values, exact in float32 up to 2^24 positions per evaluation.
 */
export function maskedAccuracyCounts(logits: tf.Tensor, targets: tf.Tensor, mask?: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const pred = tf.argMax(logits, logits.rank - 1);
    const hit = tf.cast(tf.equal(pred, tf.cast(targets, 'int32')), 'float32');
    if (!mask) return tf.stack([tf.sum(hit), tf.scalar(targets.size)]) as tf.Tensor1D;
    const counted = tf.cast(tf.notEqual(mask, 0), 'float32');
    return tf.stack([tf.sum(tf.mul(hit, counted)), tf.sum(counted)]) as tf.Tensor1D;
  });
}
