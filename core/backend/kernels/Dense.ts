/**
 * GraftDense: x [M, K] · w [K, N] (+ bias [N]) -> [M, N], the registered `_FusedMatMul` kernel run
 * on 3-D views of the same data ([1, M, K], [1, K, N]: shapes only, no tfjs op). Not a tfjs
 * kernel: graft adds it, and `denseMatMul` (denseMatMul.ts) uses it, in training too, through its
 * registered gradient (`DENSE_GRAD_CONFIG`).
 *
 * Why: `tf.fused.matMul` on 2-D tensors dispatches three reshapes and a custom-gradient wrapper
 * around the kernel (saving three clones), and its gradient three more reshapes and a fourth for
 * the bias: 14 kernel calls a layer in a training step where this takes 6 (the kernel, two saved
 * inputs, and in the backward pass the two products and the bias sum); generating one token runs
 * 16 dense layers of one row, where that dispatching cost more than the products. Same kernels on
 * the same data in the same order: the same values and gradients to the bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { _FusedMatMul, BatchMatMul, getKernel } from '@tensorflow/tfjs-core';
import type { GradConfig, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const DENSE_KERNEL = 'GraftDense';

function dense(args: KernelArgs): TensorInfo {
  const { x, w, bias } = args.inputs as { x: TensorInfo; w: TensorInfo; bias?: TensorInfo };
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[0]) {
    throw backendError(`${DENSE_KERNEL}: expected x [M, K] and w [K, N], got [${x.shape}] and [${w.shape}]`);
  }
  const fused = getKernel(_FusedMatMul, 'wasm');
  if (fused == null) throw backendError(`${DENSE_KERNEL}: no ${_FusedMatMul} kernel on wasm`);
  const a = { dataId: x.dataId, dtype: x.dtype, shape: [1, ...x.shape] };
  const b = { dataId: w.dataId, dtype: w.dtype, shape: [1, ...w.shape] };
  const out = fused.kernelFunc({
    inputs: bias == null ? { a, b } : { a, b, bias },
    backend: args.backend,
    attrs: { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0.2 },
  }) as TensorInfo;
  return { dataId: out.dataId, dtype: out.dtype, shape: [x.shape[0]!, w.shape[1]!] };
}

export const denseWasm = ownWasmKernel(DENSE_KERNEL, dense);

/**
 * GraftDense's gradient, as tf.fused.matMul's (linear activation) computes it, on 2-D tensors:
 * dx = dy · wᵀ and dw = xᵀ · dy through the BatchMatMul kernel (graft's GEMM takes any batch
 * rank, 2-D included: the same product as on the [1, M, N] views), dbias = the column sums of dy
 * (the same Sum as over [1, M, N]'s first two axes). Each is computed only if asked for: a frozen
 * weight (LoRA's base, a linear probe) costs no dw.
 */
export const DENSE_GRAD_CONFIG: GradConfig = {
  kernelName: DENSE_KERNEL,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const g = dy as Tensor;
    const [x, w] = saved as [Tensor, Tensor];
    return {
      x: () => tf.engine().runKernel(BatchMatMul, { a: g, b: w }, { transposeA: false, transposeB: true }) as Tensor,
      w: () => tf.engine().runKernel(BatchMatMul, { a: x, b: g }, { transposeA: true, transposeB: false }) as Tensor,
      bias: () => tf.sum(g, 0),
    };
  },
};
