import * as tf from '@tensorflow/tfjs-core';

export interface SgdHyper {
  lr: number;
  /** 0 disables the momentum buffer. */
  momentum: number;
  nesterov: boolean;
  /** Classic L2: `wd * p` is added to the gradient (and so goes through momentum). */
  weightDecay: number;
}

/**
 * One SGD step with momentum, as PyTorch's SGD (dampening 0):
 *
 *   g = g + wd p;   b = μ b + g;   d = nesterov ? g + μ b : b;   p = p - lr d
 *
 * With μ = 0 there is no buffer: `p = p - lr g`. Returns new tensors.
 */
export function sgdUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  buf: tf.Tensor | undefined,
  h: SgdHyper,
): { param: tf.Tensor; buf: tf.Tensor | undefined } {
  return tf.tidy(() => {
    const g = h.weightDecay !== 0 ? tf.add(grad, tf.mul(param, h.weightDecay)) : grad;
    if (h.momentum === 0 || buf === undefined) return { param: tf.sub(param, tf.mul(g, h.lr)), buf: undefined };
    const b = tf.add(tf.mul(buf, h.momentum), g);
    const d = h.nesterov ? tf.add(g, tf.mul(b, h.momentum)) : b;
    return { param: tf.sub(param, tf.mul(d, h.lr)), buf: b };
  });
}
