/**
 * ClipByValue for wasm that handles int32 (and bool). The stock kernel's C++ loop reads and writes
 * every input as float32, so int32 data is clipped as the float it would be bit-for-bit: [-5, 10]
 * clipped to [0, 6] gives [0, 10]. Here non-float32 inputs are clipped in JS into an output of the
 * input dtype (bounds are truncated by the store exactly as in tfjs-backend-cpu); float32 stays on
 * the stock kernel. Always registered: it is a correctness fix.
 */
import { ClipByValue, util } from '@tensorflow/tfjs-core';
import type { ClipByValueAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { allocOutput, view } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function clipByValue(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { clipValueMin: lo, clipValueMax: hi } = args.attrs as unknown as ClipByValueAttrs;
  if (x.dtype !== 'int32' && x.dtype !== 'bool') return runStock(stock, args);
  const out = allocOutput(backend, x.shape, x.dtype);
  const n = util.sizeFromShape(x.shape);
  if (n === 0) return out;
  const o = view(backend, out);
  const xs = view(backend, x);
  // Same comparisons as tfjs-backend-cpu's kernel; NaN bounds leave values unchanged there too.
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    o[i] = v > hi ? hi : v < lo ? lo : v;
  }
  return out;
}

export const clipByValueWasm: GraftKernelSpec = {
  kernelName: ClipByValue,
  backendName: 'wasm',
  purpose: 'fix',
  create: stock => ({ kernelName: ClipByValue, backendName: 'wasm', kernelFunc: asKernelFunc(args => clipByValue(args, stock)) }),
};
