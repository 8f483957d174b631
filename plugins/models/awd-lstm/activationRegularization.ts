import * as tf from '@tensorflow/tfjs-core';

/** AR (Merity et al. 2017): alpha * mean(h^2) over the dropped output of the last layer, h [B, T, H]. */
export function activationRegularization(dropped: tf.Tensor, alpha: number): tf.Scalar {
  return tf.mul(tf.mean(tf.square(dropped)), alpha) as tf.Scalar;
}

/**
 * TAR: beta * mean((h_t - h_{t-1})^2) over the raw (not dropped) output of the last layer,
 * h [B, T, H]; zero for sequences of one step.
 */
export function temporalActivationRegularization(raw: tf.Tensor, beta: number): tf.Scalar {
  const [B, T, H] = raw.shape as [number, number, number];
  if (T < 2) return tf.scalar(0);
  const next = tf.slice(raw, [0, 1, 0], [B, T - 1, H]);
  const prev = tf.slice(raw, [0, 0, 0], [B, T - 1, H]);
  return tf.mul(tf.mean(tf.square(tf.sub(next, prev))), beta) as tf.Scalar;
}
