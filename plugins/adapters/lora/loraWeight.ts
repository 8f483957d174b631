import * as tf from '@tensorflow/tfjs-core';

/**
 * The LoRA-adapted weight (Hu et al. 2021): `w + scale * a @ b`, with `a` [in, r], `b` [r, out]
 * and scale = alpha / r. Used both by the forward transform and by `merge`, so a merged weight is
 * the value the adapted model computed.
 */
export function loraWeight(w: tf.Tensor, a: tf.Tensor, b: tf.Tensor, scale: number): tf.Tensor {
  return tf.add(w, tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), scale));
}
