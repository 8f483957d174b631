import * as tf from '@tensorflow/tfjs-core';
import type { GradMap } from '../../../core/index.ts';

/**
 * Scale all gradients by one factor so their global L2 norm is at most `maxNorm` (Pascanu et al.
 * 2013; PyTorch's clip_grad_norm_): norm = √Σ‖g‖², scale = min(1, maxNorm / (norm + 1e-6)).
 * Entries that are null/undefined (no gradient) pass through. Everything stays on the device:
 * the norm is returned as a tensor, never read here.
 */
export function clipByGlobalNorm(grads: GradMap, maxNorm: number): { grads: GradMap; norm: tf.Scalar } {
  return tf.tidy(() => {
    const present = Object.values(grads).filter((g): g is tf.Tensor => g != null);
    const squares = present.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length ? tf.addN(squares) : tf.scalar(0)) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    const out: GradMap = {};
    for (const [k, g] of Object.entries(grads)) out[k] = g == null ? g : tf.mul(g, scale);
    return { grads: out, norm };
  });
}
