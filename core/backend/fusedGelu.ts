/**
 * gelu(x) = x * sigmoid(((x*x)*x*0.044715 + x) * 2 sqrt(2/pi)) with graft's fused kernels
 * (kernels/Gelu.ts) when the active backend has them (wasm, fast kernels on), else null and the
 * caller composes tfjs ops. The value is bit-identical to the ops on wasm (same float32
 * operations, XNNPACK's sigmoid reproduced); the gradient is the analytic derivative in one pass,
 * from the forward's sigmoid, instead of autodiff through the ops (equal up to float32 rounding).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GELU_GRAD_KERNEL, GELU_KERNEL } from './kernels/Gelu.ts';
import { gradientsRecorded } from './gradientsRecorded.ts';

export function fusedGelu(x: tf.Tensor): tf.Tensor | null {
  const backend = tf.getBackend();
  if (x.dtype !== 'float32' || tf.getKernel(GELU_KERNEL, backend) == null || tf.getKernel(GELU_GRAD_KERNEL, backend) == null) return null;
  if (!gradientsRecorded()) {
    const [y, s] = tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor[];
    s!.dispose();
    return y!;
  }
  const f = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const xt = input as tf.Tensor;
    const [y, s] = tf.engine().runKernel(GELU_KERNEL, { x: xt }) as tf.Tensor[];
    (save as tf.GradSaveFunc)([xt, s!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(GELU_GRAD_KERNEL, { x: saved[0]!, s: saved[1]!, dy }) as tf.Tensor,
    };
  });
  return f(x);
}
