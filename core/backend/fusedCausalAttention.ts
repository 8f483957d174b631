/**
 * Multi-head causal self-attention from the fused qkv projection [B*T, 3D] to the merged heads
 * [B*T, D] (before the output projection), with graft's fused kernels (kernels/CausalAttention.ts)
 * when the active backend has them (wasm, fast kernels on) and the shape suits them (time a
 * multiple of 4), else null and the caller composes tfjs ops. The same math as the ops (scores
 * scaled by 1/sqrt(head width), masked above the diagonal, softmax, weighted sum; the closed-form
 * softmax gradient), equal to them up to float32 rounding: the scale is applied to the scores
 * rather than to q, and the exponential is graft's own (within ~2 ulp).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CAUSAL_ATTENTION_GRAD_KERNEL, CAUSAL_ATTENTION_KERNEL, type CausalAttentionAttrs } from './kernels/CausalAttention.ts';
import { gradientsRecorded } from './gradientsRecorded.ts';

export function fusedCausalAttention(qkv: tf.Tensor2D, batch: number, time: number, heads: number): tf.Tensor2D | null {
  const backend = tf.getBackend();
  if (qkv.dtype !== 'float32' || time % 4 !== 0 || time < 4 || qkv.shape[1] % (3 * heads) !== 0 ||
    tf.getKernel(CAUSAL_ATTENTION_KERNEL, backend) == null || tf.getKernel(CAUSAL_ATTENTION_GRAD_KERNEL, backend) == null) return null;
  const attrs: CausalAttentionAttrs = { batch, time, heads };
  if (!gradientsRecorded()) {
    const [y, p] = tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, { qkv }, attrs as never) as tf.Tensor[];
    p!.dispose();
    return y as tf.Tensor2D;
  }
  const f = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const x = input as tf.Tensor;
    const [y, p] = tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, { qkv: x }, attrs as never) as tf.Tensor[];
    (save as tf.GradSaveFunc)([x, p!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(CAUSAL_ATTENTION_GRAD_KERNEL, { dy, qkv: saved[0]!, p: saved[1]! }, attrs as never) as tf.Tensor,
    };
  });
  return f(qkv) as tf.Tensor2D;
}
