/**
 * Transpose in JS over the heap. tfjs-backend-wasm 4.22's generic C++ transpose runs at several ns
 * per element; the tiled JS loop (2-D / batched 2-D) and the run-copying odometer (other perms)
 * are measured faster in bench/kernels.ts. Also used for the cpu backend where it measures faster.
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

function spec(backendName: 'wasm' | 'cpu'): GraftKernelSpec {
  return {
    kernelName: Transpose,
    backendName,
    purpose: 'fast',
    create: stock => ({ kernelName: Transpose, backendName, kernelFunc: asKernelFunc(args => transpose(args, stock)) }),
  };
}

export const transposeWasm = spec('wasm');
export const transposeCpu = spec('cpu');
