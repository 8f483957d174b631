/**
 * An LSTM layer's recurrence with graft's fused kernels (kernels/Lstm.ts) when the active backend
 * has them (wasm, fast kernels on), else null and the caller composes tfjs ops. The gradient is
 * backpropagation through time in one kernel (dgates for every step, then dW_hh as one product),
 * instead of autodiff through ~25 ops a step. Equal to the composed ops within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LSTM_BACKWARD_KERNEL, LSTM_FORWARD_KERNEL } from './kernels/Lstm.ts';

/** hs [T, B, H] from xproj [T, B, 4H] (x W_ih + b, gates i, f, g, o) and whh [H, 4H], from zero state; null without the kernels. */
export function fusedLstm(xproj: tf.Tensor, whh: tf.Tensor): tf.Tensor | null {
  const backend = tf.getBackend();
  if (xproj.dtype !== 'float32' || tf.getKernel(LSTM_FORWARD_KERNEL, backend) == null || tf.getKernel(LSTM_BACKWARD_KERNEL, backend) == null) return null;
  const f = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, w: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const [hs, cs, acts] = tf.engine().runKernel(LSTM_FORWARD_KERNEL, { xproj: x as tf.Tensor, whh: w as tf.Tensor }) as tf.Tensor[];
    (save as tf.GradSaveFunc)([hs!, cs!, acts!, w as tf.Tensor]);
    return {
      value: hs!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(LSTM_BACKWARD_KERNEL, { dy, hs: saved[0]!, cs: saved[1]!, acts: saved[2]!, whh: saved[3]! }) as tf.Tensor[],
    };
  });
  return f(xproj, whh);
}
