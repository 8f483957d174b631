/**
 * Multi-head causal self-attention from the fused qkv projection [B*T, 3D] to the merged heads
 * [B*T, D] (before the output projection), with graft's fused kernels (kernels/CausalAttention.ts)
 * when the active backend has them (wasm, fast kernels on) and the shape suits them (time a
 * multiple of 4), else null and the caller composes tfjs ops. The same math as the ops (scores
 * scaled by 1/sqrt(head width), masked above the diagonal, softmax, weighted sum; the closed-form
 * softmax gradient), equal to them up to float32 rounding: the scale is applied to the scores
 * rather than to q, and the exponential is graft's own (within ~2 ulp). `dropoutMask` [B*H, T, T]
 * (0 or 1/keep, as core/nn's dropoutMask draws it): dropout on the probabilities, applied inside.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CAUSAL_ATTENTION_GRAD_KERNEL, CAUSAL_ATTENTION_KERNEL, type CausalAttentionAttrs } from './kernels/CausalAttention.ts';
import { gradientsRecorded } from './gradientsRecorded.ts';

/** Whether fusedCausalAttention takes these inputs on the active backend (it returns null otherwise). */
export function canFuseCausalAttention(qkv: tf.Tensor2D, time: number, heads: number): boolean {
  const backend = tf.getBackend();
  return qkv.dtype === 'float32' && time % 4 === 0 && time >= 4 && qkv.shape[1] % (3 * heads) === 0 &&
    tf.getKernel(CAUSAL_ATTENTION_KERNEL, backend) != null && tf.getKernel(CAUSAL_ATTENTION_GRAD_KERNEL, backend) != null;
}

export function fusedCausalAttention(qkv: tf.Tensor2D, batch: number, time: number, heads: number, dropoutMask?: tf.Tensor3D): tf.Tensor2D | null {
  if (!canFuseCausalAttention(qkv, time, heads)) return null;
  const attrs: CausalAttentionAttrs = { batch, time, heads };
  const inputsOf = (x: tf.Tensor): tf.NamedTensorMap => (dropoutMask ? { qkv: x, mask: dropoutMask } : { qkv: x });
  if (!gradientsRecorded()) {
    const [y, ...rest] = tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, inputsOf(qkv), attrs as never) as tf.Tensor[];
    tf.dispose(rest);
    return y as tf.Tensor2D;
  }
  // The mask is a constant of the op (no gradient flows to it), so it is captured, not an input.
  const f = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const x = input as tf.Tensor;
    const [y, p, pd] = tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, inputsOf(x), attrs as never) as tf.Tensor[];
    (save as tf.GradSaveFunc)(pd ? [x, p!, pd, dropoutMask!] : [x, p!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ps, pds, ms] = saved;
        const inputs: tf.NamedTensorMap = pds ? { dy, qkv: xs!, p: ps!, pd: pds, mask: ms! } : { dy, qkv: xs!, p: ps! };
        return tf.engine().runKernel(CAUSAL_ATTENTION_GRAD_KERNEL, inputs, attrs as never) as tf.Tensor;
      },
    };
  });
  return f(qkv) as tf.Tensor2D;
}
