/**
 * Layer normalisation over the last axis with graft's fused kernels (kernels/LayerNorm.ts) when
 * the active backend has them (wasm, fast kernels on), else null and the caller composes tfjs ops
 * (core/nn/layers.ts). The same math as the ops path (two-pass variance, the closed-form gradient),
 * equal to it up to float32 rounding: its row sums add four lanes at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL } from './kernels/LayerNorm.ts';
import { gradientsRecorded } from './gradientsRecorded.ts';

export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor | null {
  const backend = tf.getBackend();
  if (x.dtype !== 'float32' || tf.getKernel(LAYER_NORM_KERNEL, backend) == null || tf.getKernel(LAYER_NORM_GRAD_KERNEL, backend) == null) return null;
  if (!gradientsRecorded()) {
    const [y, xhat, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma, beta }, { eps } as never) as tf.Tensor[];
    tf.dispose([xhat!, rstd!]);
    return y!;
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xt, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [y, xhat, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x: xt, gamma: g, beta: b }, { eps } as never) as tf.Tensor[];
    save([xhat!, rstd!, g]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy, xhat: saved[0]!, rstd: saved[1]!, gamma: saved[2]! }) as tf.Tensor[],
    };
  });
  return f(x, gamma, beta);
}
