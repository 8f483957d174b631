import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamw, type AdamwAttrs } from '../../../core/backend/index.ts';

/** One parameter's step constants (the fused kernel's attributes); decay is decoupled: `lr * weightDecay * p`. */
export type AdamwHyper = AdamwAttrs;

/**
 * One AdamW step (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"):
 *
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²
 *   m̂ = m / (1-b1^t);     v̂ = v / (1-b2^t)
 *   p = p - lr (m̂ / (√v̂ + eps) + wd p)
 *
 * Returns new tensors; the inputs are left as they are. On wasm this runs as graft's fused kernel
 * (one pass instead of 16 ops; bit-identical, see core/backend/kernels/Adamw.ts).
 */
export function adamwUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  h: AdamwHyper,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const fused = fusedAdamw(param, grad, m, v, h);
  if (fused != null) return fused;
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, h.beta1), tf.mul(grad, 1 - h.beta1));
    const v1 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(grad), 1 - h.beta2));
    const mhat = tf.div(m1, 1 - h.beta1 ** h.t);
    const vhat = tf.div(v1, 1 - h.beta2 ** h.t);
    let dir = tf.div(mhat, tf.add(tf.sqrt(vhat), h.eps));
    if (h.weightDecay !== 0) dir = tf.add(dir, tf.mul(param, h.weightDecay));
    return { param: tf.sub(param, tf.mul(dir, h.lr)), m: m1, v: v1 };
  });
}
