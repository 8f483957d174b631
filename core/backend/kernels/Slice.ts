/**
 * Slice for wasm that copies only the sliced range (see sliceImpl.ts): the stock kernel first
 * copies the whole input out of the heap, so T leading-axis slices of a [T, ...] tensor cost T
 * full copies. Strings stay on the stock kernel.
 */
import { Slice, slice_util } from '@tensorflow/tfjs-core';
import type { KernelConfig, SliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmBackend, type WasmBackendLike } from './heap.ts';
import { copySlice, elementIndex, heapElements, sliceLayout } from './sliceImpl.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendAssert } from '../errors.ts';

/**
 * Copies x[begin : begin + size] into a new tensor of shape `outShape` (same element count as
 * `size`; lets callers drop or add size-1 axes without a reshape).
 */
export function sliceToNew(
  backend: WasmBackendLike, x: TensorInfo, begin: number[], size: number[], outShape: number[] = size,
): TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  // Views only after the allocation: a malloc may grow (and detach) the heap.
  const { heap, bytes } = heapElements(backend, x.dtype);
  copySlice(heap, elementIndex(backend, x, bytes), elementIndex(backend, out, bytes), sliceLayout(x.shape, begin, size));
  return out;
}

function slice(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { begin, size } = args.attrs as unknown as SliceAttrs;
  if (!isWasmBackend(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool')) {
    return runStock(stock, args);
  }
  const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
  // Stricter than stock (which checks nothing): an out-of-range slice would read other tensors' memory.
  slice_util.assertParamsValid(x, begin_, size_);
  for (let i = 0; i < begin_.length; i++) {
    backendAssert(Number.isInteger(begin_[i]) && begin_[i] >= 0 && Number.isInteger(size_[i]) && size_[i] >= 0,
      () => `Error in slice${x.shape.length}D: begin [${begin_}] and size [${size_}] must be non-negative integers`);
  }
  return sliceToNew(backend, x, begin_, size_);
}

export const sliceWasm: GraftKernelSpec = {
  kernelName: Slice,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: Slice, backendName: 'wasm', kernelFunc: asKernelFunc(args => slice(args, stock)) }),
};
