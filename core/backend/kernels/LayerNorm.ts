/**
 * GraftLayerNorm and GraftLayerNormGrad: layer normalisation over the last axis, forward and
 * gradient, each one kernel on wasm (layerNormModule.ts). Not tfjs kernels: graft adds them, and
 * `fusedLayerNorm` (fusedLayerNorm.ts) uses them when the backend has them.
 *
 * Why: as tfjs ops a layer norm is ~9 kernels forward and ~11 for its closed-form gradient, each a
 * pass over [tokens, width] with an output allocated: ~3 ms per layer norm and step for the
 * reference GPT's [2048, 128] on one wasm thread, nine of them a step.
 *
 *   GraftLayerNorm     inputs x [..., d], gamma [d], beta [d]; attr eps -> [y, xhat, rstd [..., 1]]
 *   GraftLayerNormGrad inputs dy, xhat [..., d], rstd [..., 1], gamma [d] -> [dx, dgamma, dbeta]
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { layerNormOn } from './layerNormModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { ownWasmKernel, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const LAYER_NORM_KERNEL = 'GraftLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'GraftLayerNormGrad';

/** rows and width of a float32 [..., d] tensor whose last-axis parameters are `params` ([d] each). */
function rowsOf(name: string, x: TensorInfo, params: TensorInfo[], same: TensorInfo[] = []): { rows: number; d: number } {
  const d = x.shape[x.shape.length - 1] ?? 0;
  const bad = (t: TensorInfo, want: string) => backendError(`${name}: expected float32 ${want}, got ${t.dtype} [${t.shape}]`);
  if (x.dtype !== 'float32' || x.shape.length === 0) throw bad(x, '[..., d]');
  for (const p of params) if (p.dtype !== 'float32' || p.shape.join() !== String(d)) throw bad(p, `[${d}]`);
  for (const s of same) if (s.dtype !== 'float32' || s.shape.join() !== x.shape.join()) throw bad(s, `[${x.shape}]`);
  return { rows: x.shape.slice(0, -1).reduce((a, b) => a * b, 1), d };
}

function layerNorm(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { eps } = args.attrs as unknown as { eps: number };
  if (!isWasmBackend(backend)) throw backendError(`${LAYER_NORM_KERNEL}: wasm only`);
  const { rows, d } = rowsOf(LAYER_NORM_KERNEL, x, [gamma, beta]);
  const y = backend.makeOutput(x.shape.slice(), 'float32');
  const xhat = backend.makeOutput(x.shape.slice(), 'float32');
  const rstd = backend.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
  if (rows * d > 0) {
    const off = (t: TensorInfo) => heapOffset(backend, t);
    layerNormOn(wasmMemoryOf(backend)).lnForward(rows, d, off(x), off(gamma), off(beta), off(y), off(xhat), off(rstd), eps);
  }
  return [y, xhat, rstd];
}

function layerNormGrad(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { dy, xhat, rstd, gamma } = args.inputs as { dy: TensorInfo; xhat: TensorInfo; rstd: TensorInfo; gamma: TensorInfo };
  if (!isWasmBackend(backend)) throw backendError(`${LAYER_NORM_GRAD_KERNEL}: wasm only`);
  const { rows, d } = rowsOf(LAYER_NORM_GRAD_KERNEL, dy, [gamma], [xhat]);
  if (rstd.dtype !== 'float32' || rstd.shape.join() !== [...dy.shape.slice(0, -1), 1].join()) {
    throw backendError(`${LAYER_NORM_GRAD_KERNEL}: expected float32 rstd [${[...dy.shape.slice(0, -1), 1]}], got ${rstd.dtype} [${rstd.shape}]`);
  }
  const dx = backend.makeOutput(dy.shape.slice(), 'float32');
  const dgamma = backend.makeOutput([d], 'float32');
  const dbeta = backend.makeOutput([d], 'float32');
  if (d > 0) {
    // Float64 column sums for dgamma and dbeta; malloc may grow the heap, so offsets are read after it.
    const acc = backend.wasm._malloc(16 * d) >>> 0;
    try {
      const off = (t: TensorInfo) => heapOffset(backend, t);
      layerNormOn(wasmMemoryOf(backend)).lnBackward(rows, d, off(dy), off(xhat), off(rstd), off(gamma), off(dx), off(dgamma), off(dbeta), acc);
    } finally {
      backend.wasm._free(acc);
    }
  }
  return [dx, dgamma, dbeta];
}

export const layerNormWasm = ownWasmKernel(LAYER_NORM_KERNEL, layerNorm);
export const layerNormGradWasm = ownWasmKernel(LAYER_NORM_GRAD_KERNEL, layerNormGrad);
