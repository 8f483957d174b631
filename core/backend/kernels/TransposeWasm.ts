/**
 * Transpose for wasm when the last axis stays last (attention's head split and merge, [B, T, H, d]
 * <-> [B, H, T, d]): the output is runs of the input's last axis, copied by the wasm copy module
 * (copyModule.ts), one call per output row of runs. Stock's C++ transpose moves element by element:
 * 32 such calls a reference-GPT step took 10-13 ms. Other permutations, runs under 4 elements and
 * other dtypes stay on stock (the JS Transpose.ts lost to it there).
 */
import { Transpose, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import { copyRunsOn } from './copyModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { canonicalizeTranspose } from './transposeImpl.ts';

/** Shortest run (elements) copied as a run; below it stock's element loop is as fast. */
const MIN_RUN = 4;

function transpose(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { perm } = args.attrs as unknown as TransposeAttrs;
  if (!isWasmBackend(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return runStock(stock, args);
  const { shape, perm: p } = canonicalizeTranspose(x.shape, perm);
  const rank = shape.length;
  // Canonical form merges a kept trailing axis into its run; it must be last and not the only axis.
  if (rank < 3 || p[rank - 1] !== rank - 1 || shape[rank - 1]! < MIN_RUN) return runStock(stock, args);
  const out = backend.makeOutput(perm.map(a => x.shape[a]!), x.dtype);
  if (util.sizeFromShape(x.shape) === 0) return out;
  const run = shape[rank - 1]! * 4;
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 4;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const outShape = p.map(a => shape[a]!);
  const srcStride = p.map(a => inStrides[a]!);
  // Output axis rank-2 becomes the run count of one call; odometer over the axes before it.
  const n = outShape[rank - 2]!;
  const nStride = srcStride[rank - 2]!;
  const copyRuns = copyRunsOn(wasmMemoryOf(backend));
  const outerAxes = rank - 2;
  const idx = new Array<number>(outerAxes).fill(0);
  let src = heapOffset(backend, x);
  let dst = heapOffset(backend, out);
  for (;;) {
    copyRuns(n, run, src, nStride, dst, run);
    dst += n * run;
    let ax = outerAxes - 1;
    for (; ax >= 0; ax--) {
      src += srcStride[ax]!;
      if (++idx[ax]! < outShape[ax]!) break;
      src -= srcStride[ax]! * outShape[ax]!;
      idx[ax] = 0;
    }
    if (ax < 0) return out;
  }
}

export const transposeWasm: GraftKernelSpec = {
  kernelName: Transpose,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: Transpose, backendName: 'wasm', kernelFunc: asKernelFunc(args => transpose(args, stock)) }),
};
