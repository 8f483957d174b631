/**
 * One AdamW step through graft's fused kernel (kernels/Adamw.ts) when the active backend has it
 * (wasm, with fast kernels on), else null and the caller runs the step as tfjs ops.
 * Bit-identical to the ops of plugins/optimizers/adamw/adamwUpdate.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_KERNEL, type AdamwAttrs } from './kernels/Adamw.ts';

export type { AdamwAttrs };

export function fusedAdamw(
  param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamwAttrs,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } | null {
  if (tf.getKernel(ADAMW_KERNEL, tf.getBackend()) == null) return null;
  const tensors = [param, grad, m, v];
  if (tensors.some(x => x.dtype !== 'float32' || !tf.util.arraysEqual(x.shape, param.shape))) return null;
  const attrs: AdamwAttrs = { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weightDecay: h.weightDecay, t: h.t };
  const [p1, m1, v1] = tf.engine().runKernel(ADAMW_KERNEL, { param, grad, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { param: p1!, m: m1!, v: v1! };
}
