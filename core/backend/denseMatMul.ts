/**
 * x [M, K] · w [K, N] (+ bias [N]) as tfjs's fused matmul computes it. On wasm with graft's
 * kernels: GraftDense, one dispatch on shapes alone, in training too (its registered gradient,
 * kernels/Dense.ts: 6 kernel calls a layer in a training step instead of tf.fused.matMul's 14;
 * the micro GPT's step 12 % faster, the reference GPT's ~1 %). Elsewhere: `tf.fused.matMul` when
 * gradients may be recorded, else its kernel called directly (the op's reshapes to 3-D and
 * `customGrad` wrapper cost more than a one-token product: see gradientsRecorded.ts). The same
 * kernels on the same inputs: the same values, and gradients, to the bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { _FusedMatMul } from '@tensorflow/tfjs-core';
import { gradientsRecorded } from './gradientsRecorded.ts';
import { DENSE_GRAD_CONFIG, DENSE_KERNEL } from './kernels/Dense.ts';

// Once per process: the gradient is keyed by kernel name, for every backend that has the kernel.
if (tf.getGradient(DENSE_KERNEL) == null) tf.registerGradient(DENSE_GRAD_CONFIG);

export function denseMatMul(x: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  if (x.dtype === 'float32' && w.dtype === 'float32' && tf.getKernel(DENSE_KERNEL, tf.getBackend()) != null) {
    return tf.engine().runKernel(DENSE_KERNEL, bias === undefined ? { x, w } : { x, w, bias }) as tf.Tensor2D;
  }
  if (gradientsRecorded()) return tf.fused.matMul({ a: x, b: w, bias }) as tf.Tensor2D;
  const [M, K] = x.shape;
  const N = w.shape[1];
  const a3 = tf.reshape(x, [1, M, K]);
  const b3 = tf.reshape(w, [1, K, N]);
  const inputs: tf.NamedTensorMap = bias === undefined ? { a: a3, b: b3 } : { a: a3, b: b3, bias };
  const y3 = tf.engine().runKernel(_FusedMatMul, inputs,
    { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0.2 } as never) as tf.Tensor;
  const y = tf.reshape(y3, [M, N]) as tf.Tensor2D;
  tf.dispose([a3, b3, y3]);
  return y;
}
