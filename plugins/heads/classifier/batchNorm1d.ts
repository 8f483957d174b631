import * as tf from '@tensorflow/tfjs-core';

/** Batch statistics of x [B, F]: the mean and the biased variance (used to normalise). */
export function batchMoments(x: tf.Tensor): { mean: tf.Tensor; variance: tf.Tensor } {
  return tf.moments(x, 0);
}

/** y = gamma * (x - mean) / sqrt(variance + eps) + beta, feature-wise over x [B, F]. */
export function batchNormalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/**
 * New running statistics (PyTorch's BatchNorm1d): running = (1 - m) * running + m * batch, where the
 * batch variance is the unbiased one (times n / (n - 1)), as PyTorch keeps it.
 */
export function updateRunningStats(
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  n: number,
  momentum: number,
): { mean: tf.Tensor; variance: tf.Tensor } {
  const unbiased = tf.mul(variance, n / (n - 1));
  return {
    mean: tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)),
    variance: tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)),
  };
}
