/**
 * GraftDense: x [M, K] · w [K, N] (+ bias [N]) -> [M, N], the registered `_FusedMatMul` kernel run
 * on 3-D views of the same data ([1, M, K], [1, K, N]: shapes only, no tfjs op). Not a tfjs
 * kernel: graft adds it, and `denseMatMul` (denseMatMul.ts) uses it when no gradient is recorded.
 *
 * Why: `tf.fused.matMul` on 2-D tensors dispatches three reshapes and a custom-gradient wrapper
 * around the kernel; generating one token runs 16 dense layers of one row, where that dispatching
 * cost more than the products. Same kernel, same inputs: the same values to the bit.
 */
import { _FusedMatMul, getKernel } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
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
