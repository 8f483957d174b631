/**
 * SplitV (tf.split) for wasm that copies each piece's range once, all its runs in one wasm call
 * (copyModule.ts). The stock kernel slices once per
 * piece with a Slice that copies the whole input first (pieces x input size). Used by the
 * gradient of concat and by fused projections split into parts. Strings stay on the stock kernel.
 */
import { backend_util, SplitV, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, SplitVAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { copyRunsOn } from './copyModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendAssert } from '../errors.ts';

function splitV(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { numOrSizeSplits, axis: axisAttr } = args.attrs as unknown as SplitVAttrs;
  if (!isWasmBackend(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool')) {
    return runStock(stock, args);
  }
  const axis = util.parseAxisParam(axisAttr, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as never, numOrSizeSplits, axis);
  const total = x.shape[axis];
  backendAssert(sizes.every(s => Number.isInteger(s) && s >= 0) && sizes.reduce((a, b) => a + b, 0) === total,
    () => `SplitV: sizes [${sizes}] must be non-negative and sum to x.shape[${axis}] = ${total}`);
  const outer = util.sizeFromShape(x.shape.slice(0, axis));
  const inner = util.sizeFromShape(x.shape.slice(axis + 1));
  // Allocate every output before taking heap views (a malloc may grow and detach the heap).
  const outs = sizes.map(s => {
    const shape = x.shape.slice();
    shape[axis] = s;
    return backend.makeOutput(shape, x.dtype);
  });
  if (outer * inner * total === 0) return outs;
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const copyRuns = copyRunsOn(wasmMemoryOf(backend));
  const src = heapOffset(backend, x);
  let offset = 0;
  for (let i = 0; i < sizes.length; i++) {
    // Piece i: `outer` runs of sizes[i] * inner elements, total * inner apart (one wasm call).
    const run = sizes[i] * inner * bytes;
    if (run > 0) copyRuns(outer, run, src + offset * inner * bytes, total * inner * bytes, heapOffset(backend, outs[i]), run);
    offset += sizes[i];
  }
  return outs;
}

export const splitVWasm: GraftKernelSpec = {
  kernelName: SplitV,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: SplitV, backendName: 'wasm', kernelFunc: asKernelFunc(args => splitV(args, stock)) }),
};
