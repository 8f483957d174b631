/**
 * GraftGelu and GraftGeluGrad: gelu() on wasm in one pass each way (geluModule.ts). Not tfjs
 * kernels: graft adds them, and `fusedGelu` (fusedGelu.ts) uses them when the backend has them.
 * Large tensors are cut into chunks that graft's GEMM threads share (`forChunks`).
 *
 * Why: gelu as tfjs ops is 7 ops forward and ~14 in the gradient autodiff builds, each a pass
 * over [tokens, 4 x width] (the GPT MLP): ~17 ms per layer and step on wasm, measured under load.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemmModuleOn } from './gemmModule.ts';
import { CHUNK, forChunks } from './gemmThreads.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const GELU_KERNEL = 'GraftGelu';
export const GELU_GRAD_KERNEL = 'GraftGeluGrad';

function checked(name: string, xs: TensorInfo[]): number {
  for (const x of xs) {
    if (x.dtype !== 'float32' || x.shape.join() !== xs[0]!.shape.join()) {
      throw backendError(`${name}: inputs must be float32 of one shape, got ${x.dtype} [${x.shape}] for [${xs[0]!.shape}]`);
    }
  }
  return xs[0]!.shape.reduce((a, b) => a * b, 1);
}

/** [y, s]: y = gelu(x), s = the sigmoid inside it (the gradient's input). */
function gelu(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${GELU_KERNEL}: wasm only`);
  const n = checked(GELU_KERNEL, [x]);
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  const s = backend.makeOutput(x.shape.slice(), 'float32');
  if (n > 0) {
    const [xo, so, yo] = [x, s, y].map(t => heapOffset(backend, t)) as [number, number, number];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    forChunks(backend, n, CHUNK, (plan, i, count) => {
      if (plan) plan.call('gelu', count, xo + 4 * i, so + 4 * i, yo + 4 * i);
      else mod.gelu(count, xo + 4 * i, so + 4 * i, yo + 4 * i);
    });
  }
  return [y, s];
}

function geluGrad(args: KernelArgs): TensorInfo {
  const { backend } = args;
  const { x, s, dy } = args.inputs as { x: TensorInfo; s: TensorInfo; dy: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${GELU_GRAD_KERNEL}: wasm only`);
  const n = checked(GELU_GRAD_KERNEL, [x, s, dy]);
  const dx = backend.makeOutput(x.shape.slice(), 'float32');
  if (n > 0) {
    const [xo, so, dyo, dxo] = [x, s, dy, dx].map(t => heapOffset(backend, t)) as [number, number, number, number];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    forChunks(backend, n, CHUNK, (plan, i, count) => {
      if (plan) plan.call('geluGrad', count, xo + 4 * i, so + 4 * i, dyo + 4 * i, dxo + 4 * i);
      else mod.geluGrad(count, xo + 4 * i, so + 4 * i, dyo + 4 * i, dxo + 4 * i);
    });
  }
  return dx;
}

export const geluWasm = ownWasmKernel(GELU_KERNEL, gelu);
export const geluGradWasm = ownWasmKernel(GELU_GRAD_KERNEL, geluGrad);
