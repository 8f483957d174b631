/**
 * Unpack (tf.unstack) for wasm that copies each output's range once. The stock kernel calls its
 * Slice once per output and that Slice copies the whole input first, so unstacking [T, B, H]
 * along axis 0 costs T full copies (O(T^2 B H)); here the total is one pass over the input.
 * Strings stay on the stock kernel.
 */
import { Unpack, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo, UnpackAttrs } from '@tensorflow/tfjs-core';
import { isWasmBackend } from './heap.ts';
import { copySlice, elementIndex, heapElements } from './sliceImpl.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendAssert } from '../errors.ts';

function unpack(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { value } = args.inputs as { value: TensorInfo };
  const { axis: axisAttr } = args.attrs as unknown as UnpackAttrs;
  if (!isWasmBackend(backend) || (value.dtype !== 'float32' && value.dtype !== 'int32' && value.dtype !== 'bool')) {
    return runStock(stock, args);
  }
  const rank = value.shape.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  backendAssert(axis >= 0 && axis < rank, () => `Unpack: axis ${axisAttr} is out of range for rank ${rank}`);
  const num = value.shape[axis];
  const outShape = value.shape.filter((_, i) => i !== axis);
  const outer = util.sizeFromShape(value.shape.slice(0, axis));
  const inner = util.sizeFromShape(value.shape.slice(axis + 1));
  // Allocate every output before taking heap views (a malloc may grow and detach the heap).
  const outs: TensorInfo[] = [];
  for (let i = 0; i < num; i++) outs.push(backend.makeOutput(outShape, value.dtype));
  if (outer * inner === 0) return outs;
  const { heap, bytes } = heapElements(backend, value.dtype);
  const src = elementIndex(backend, value, bytes);
  // Output i: `outer` runs of `inner` elements, num * inner apart.
  const layout = { start: 0, run: inner, outer: outer > 1 ? [outer] : [], strides: outer > 1 ? [num * inner] : [] };
  for (let i = 0; i < num; i++) {
    layout.start = i * inner;
    copySlice(heap, src, elementIndex(backend, outs[i], bytes), layout);
  }
  return outs;
}

export const unpackWasm: GraftKernelSpec = {
  kernelName: Unpack,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: Unpack, backendName: 'wasm', kernelFunc: asKernelFunc(args => unpack(args, stock)) }),
};
