/**
 * OneHot for wasm that honours `dtype`. The stock wasm kernel allocates an output of the requested
 * dtype but always writes int32 bit patterns, so tf.oneHot(..., 'float32') yields 1.4e-45 instead
 * of 1 (silently wrong labels for a float loss). Always registered: it is a correctness fix.
 * Out-of-range and negative indices produce an all-off row, as in tfjs/TensorFlow.
 */
import { OneHot, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, OneHotAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { allocOutput, isNumericDtype, view } from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function oneHot(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { indices } = args.inputs as { indices: TensorInfo };
  const { dtype, depth, onValue, offValue } = args.attrs as unknown as OneHotAttrs;
  if (!isNumericDtype(dtype) || !isNumericDtype(indices.dtype)) return runStock(stock, args);
  const out = allocOutput(backend, [...indices.shape, depth], dtype);
  const o = view(backend, out);
  o.fill(offValue);
  const n = util.sizeFromShape(indices.shape);
  if (depth === 0 || n === 0) return out;
  const idx = view(backend, indices);
  for (let i = 0; i < n; i++) {
    const v = idx[i];
    if (v >= 0 && v < depth) o[i * depth + v] = onValue;
  }
  return out;
}

export const oneHotWasm: GraftKernelSpec = {
  kernelName: OneHot,
  backendName: 'wasm',
  purpose: 'fix',
  create: stock => ({ kernelName: OneHot, backendName: 'wasm', kernelFunc: asKernelFunc(args => oneHot(args, stock)) }),
};
