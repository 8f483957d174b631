/**
 * Transpose for the cpu backend: a tiled loop for (batched) 2-D transposes and a run-copying
 * odometer for other permutations, over the typed arrays directly. tfjs-backend-cpu 4.22 goes
 * through a TensorBuffer with per-element index arithmetic and measures 4-40x slower.
 *
 * Not installed on wasm: measured against tfjs-backend-wasm 4.22's C++ transpose (CPU time,
 * interleaved runs), the JS loops lose on every shape but square 2-D (0.2-0.5x on [30000,64],
 * [64,2048], head split/merge perms), so the stock wasm kernel stays. bench/kernels.ts keeps measuring
 * it there: it registers this (backend-agnostic) kernel for wasm.
 */
import { Transpose, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import { allocOutput, isNumericDtype, view } from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { canonicalizeTranspose, transposeND } from './transposeImpl.ts';

function transpose(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { perm } = args.attrs as unknown as TransposeAttrs;
  if (!isNumericDtype(x.dtype)) return runStock(stock, args);
  const outShape = perm.map(axis => x.shape[axis]);
  const out = allocOutput(backend, outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const { shape, perm: p } = canonicalizeTranspose(x.shape, perm);
  transposeND(view(backend, x), view(backend, out), shape, p);
  return out;
}

function spec(backendName: 'cpu'): GraftKernelSpec {
  return {
    kernelName: Transpose,
    backendName,
    purpose: 'fast',
    create: stock => ({ kernelName: Transpose, backendName, kernelFunc: asKernelFunc(args => transpose(args, stock)) }),
  };
}

export const transposeCpu = spec('cpu');
