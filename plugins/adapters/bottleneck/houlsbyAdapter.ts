import * as tf from '@tensorflow/tfjs-core';
import { dense, gelu, type ParameterStore } from '../../../core/index.ts';

/**
 * A bottleneck adapter (Houlsby et al. 2019) on a module output x [..., dim]:
 * `x + up(gelu(down(x)))`, with `<prefix>.down` [dim, m] and `<prefix>.up` [m, dim] dense layers.
 * With `up` at zero the adapter is the identity, so inserting it leaves the model unchanged.
 */
export function houlsbyAdapter(params: ParameterStore, prefix: string, x: tf.Tensor, training: boolean): tf.Tensor {
  const h = gelu(dense(params, `${prefix}.down`, x, training));
  return tf.add(x, dense(params, `${prefix}.up`, h, training));
}

/** Trainable scalars of one adapter on a width-`dim` output with bottleneck `m`: two kernels and two biases. */
export function houlsbyParameterCount(dim: number, m: number): number {
  return 2 * dim * m + m + dim;
}
