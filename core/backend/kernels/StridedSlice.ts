/**
 * StridedSlice for wasm, two layers (see registry.ts):
 *
 * - fix (always installed): for slices with a stride other than 1, the stock kernel runs its C++
 *   float copy into an output it allocates as float32 whatever the input dtype, so int32 and bool
 *   inputs come back as float32 garbage (int32 [1, 2] -> [1.4e-45, 2.8e-45]). Those dtypes are
 *   gathered here in JS instead; float32 keeps the C++ kernel. Also, an empty unit-stride range
 *   with begin > end (x[4:1]) throws in stock ("Negative size values ..."); here it is empty.
 * - fast: slices with all strides 1 (the common `x[a:b]`, `x[i]` forms) are copied range-only
 *   (sliceImpl.ts) straight into an output of the final shape (the stock kernel goes through its
 *   Slice, which copies the whole input first); other strides are a JS gather for every dtype,
 *   measured 40x faster than the stock C++ loop on float32. Strings go to the layer below.
 */
import { slice_util, StridedSlice } from '@tensorflow/tfjs-core';
import type { KernelConfig, StridedSliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmBackend, type WasmBackendLike } from './heap.ts';
import { copyStrided, elementIndex, heapElements } from './sliceImpl.ts';
import { sliceToNew } from './Slice.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function sliceInfo(x: TensorInfo, attrs: StridedSliceAttrs) {
  const { begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask } = attrs;
  const info = slice_util.sliceInfo(x.shape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
  // Per input axis: how many elements the slice takes (0 for an empty or reversed range).
  const size = slice_util.computeOutShape(info.begin, info.end, info.strides).map(d => Math.max(d, 0));
  // Object.assign, not a spread plus a key: the spread costs ~1 µs on Node 20's V8, every call.
  return Object.assign({}, info, { size });
}

function isNumeric(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

function stridedSliceFix(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (!isWasmBackend(backend) || !isNumeric(x.dtype)) return runStock(stock, args);
  const info = sliceInfo(x, args.attrs as unknown as StridedSliceAttrs);
  if (info.isIdentity) return runStock(stock, args);
  // An empty range with begin > end and unit strides (x[4:1]): stock hands its Slice a negative
  // size, which throws. The answer is an empty tensor.
  if (info.size.includes(0)) return backend.makeOutput(info.finalShape, x.dtype);
  // Unit-stride slices take stock's Slice route, which keeps the dtype; float32 its C++ loop.
  if (info.sliceDim0 || info.isSimpleSlice || x.dtype === 'float32') return runStock(stock, args);
  return gatherStrided(backend, x, info);
}

function stridedSliceFast(args: KernelArgs, below: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (!isWasmBackend(backend) || !isNumeric(x.dtype)) return runStock(below, args);
  const info = sliceInfo(x, args.attrs as unknown as StridedSliceAttrs);
  if (info.isIdentity) {
    // Same as stock: a reshape, sharing the data.
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: info.finalShape, dtype: x.dtype };
  }
  if (info.strides.every(s => s === 1)) return sliceToNew(backend, x, info.begin, info.size, info.finalShape);
  return gatherStrided(backend, x, info);
}

/** Any-stride slice as a JS gather into an output of the final shape. */
function gatherStrided(backend: WasmBackendLike, x: TensorInfo, info: ReturnType<typeof sliceInfo>): TensorInfo {
  const out = backend.makeOutput(info.finalShape, x.dtype);
  const { heap, bytes } = heapElements(backend, x.dtype);
  copyStrided(heap, elementIndex(backend, x, bytes), elementIndex(backend, out, bytes), x.shape, info.begin, info.size, info.strides);
  return out;
}

export const stridedSliceFixWasm: GraftKernelSpec = {
  kernelName: StridedSlice,
  backendName: 'wasm',
  purpose: 'fix',
  create: stock => ({ kernelName: StridedSlice, backendName: 'wasm', kernelFunc: asKernelFunc(args => stridedSliceFix(args, stock)) }),
};

export const stridedSliceWasm: GraftKernelSpec = {
  kernelName: StridedSlice,
  backendName: 'wasm',
  purpose: 'fast',
  create: below => ({ kernelName: StridedSlice, backendName: 'wasm', kernelFunc: asKernelFunc(args => stridedSliceFast(args, below)) }),
};
