/**
 * GraftGeluPre and GraftGeluGrad: the fused pieces of gelu() on wasm (geluModule.ts). Not tfjs
 * kernels: graft adds them, and `fusedGelu` (fusedGelu.ts) uses them when the backend has them.
 *
 * Why: gelu as tfjs ops is 7 ops forward and ~14 in the gradient autodiff builds, each a pass
 * over [tokens, 4 x width] (the GPT MLP): ~17 ms per layer and step on wasm, measured under load.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { geluOn } from './geluModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const GELU_PRE_KERNEL = 'GraftGeluPre';
export const GELU_GRAD_KERNEL = 'GraftGeluGrad';

function checked(name: string, xs: TensorInfo[]): number {
  for (const x of xs) {
    if (x.dtype !== 'float32' || x.shape.join() !== xs[0]!.shape.join()) {
      throw backendError(`${name}: inputs must be float32 of one shape, got ${x.dtype} [${x.shape}] for [${xs[0]!.shape}]`);
    }
  }
  return xs[0]!.shape.reduce((a, b) => a * b, 1);
}

function geluPre(args: KernelArgs): TensorInfo {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${GELU_PRE_KERNEL}: wasm only`);
  const n = checked(GELU_PRE_KERNEL, [x]);
  const z = backend.makeOutput(x.shape.slice(), 'float32');
  if (n > 0) geluOn(wasmMemoryOf(backend)).geluPre(n, heapOffset(backend, x), heapOffset(backend, z));
  return z;
}

function geluGrad(args: KernelArgs): TensorInfo {
  const { backend } = args;
  const { x, s, dy } = args.inputs as { x: TensorInfo; s: TensorInfo; dy: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${GELU_GRAD_KERNEL}: wasm only`);
  const n = checked(GELU_GRAD_KERNEL, [x, s, dy]);
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  if (n > 0) {
    const off = (t: TensorInfo) => heapOffset(backend, t);
    geluOn(wasmMemoryOf(backend)).geluGrad(n, off(x), off(s), off(dy), off(dx));
  }
  return dx;
}

export const geluPreWasm = ownWasmKernel(GELU_PRE_KERNEL, geluPre);
export const geluGradWasm = ownWasmKernel(GELU_GRAD_KERNEL, geluGrad);
