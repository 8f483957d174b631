/**
 * Concat for wasm as heap-to-heap run copies. Stock tfjs-backend-wasm 4.22 copies each input's
 * run per outer index through a fresh `subarray` view (an allocation per run): the gradient of the
 * qkv split in GPT attention, three [2048, 128] inputs into [2048, 384], took 2.8-5 ms a call.
 * Here all runs of an input are copied by one wasm call (copyModule.ts, memory.copy), bytes as
 * they are. Strings, and a single non-empty input (stock returns it as an Identity), go to stock.
 */
import { backend_util, Concat, util } from '@tensorflow/tfjs-core';
import type { ConcatAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { copyRunsOn } from './copyModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function concat(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const inputs = args.inputs as unknown as TensorInfo[];
  const dtype = inputs[0]!.dtype;
  if (!isWasmBackend(backend) || (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool')) {
    return runStock(stock, args);
  }
  const axis = util.parseAxisParam((args.attrs as unknown as ConcatAttrs).axis, inputs[0]!.shape)[0];
  backend_util.assertParamsConsistent(inputs.map(t => t.shape), axis);
  const parts = inputs.filter(t => util.sizeFromShape(t.shape) > 0);
  if (parts.length === 1) return runStock(stock, args);
  const out = backend.makeOutput(backend_util.computeOutShape(inputs.map(t => t.shape), axis), dtype);
  if (parts.length === 0) return out;
  const outer = util.sizeFromShape(parts[0]!.shape.slice(0, axis));
  const runs = parts.map(t => util.sizeFromShape(t.shape.slice(axis)));
  const width = runs.reduce((a, b) => a + b, 0);
  const bytes = dtype === 'bool' ? 1 : 4;
  const copyRuns = copyRunsOn(wasmMemoryOf(backend));
  const dst = heapOffset(backend, out);
  let col = 0;
  for (let i = 0; i < parts.length; i++) {
    const run = runs[i]! * bytes;
    copyRuns(outer, run, heapOffset(backend, parts[i]!), run, dst + col, width * bytes);
    col += run;
  }
  return out;
}

export const concatWasm: GraftKernelSpec = {
  kernelName: Concat,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: Concat, backendName: 'wasm', kernelFunc: asKernelFunc(args => concat(args, stock)) }),
};
