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
 *
 * Both run in blocks of rows (`rowBlock`) that graft's GEMM threads share. The gradient's column
 * sums (dgamma, dbeta) are float64 per block, added in block order: the blocks depend on the
 * shape alone, and one thread runs the same blocks, so the thread count never changes a result.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemmModuleOn } from './gemmModule.ts';
import { CHUNK, poolPlanFor, forChunks } from './gemmThreads.ts';
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

/** Rows per block: about CHUNK elements, at least 4 rows. */
export function rowBlock(d: number): number {
  return Math.max(4, Math.floor(CHUNK / Math.max(1, d)));
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
    const [xo, go, bo, yo, ho, ro] = [x, gamma, beta, y, xhat, rstd].map(t => heapOffset(backend, t)) as number[];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    // Rows are independent: any split gives the same values.
    forChunks(backend, rows, rowBlock(d), (plan, r, count) => {
      const at = 4 * r * d;
      if (plan) plan.call('lnForward', count, d, xo! + at, go!, bo!, yo! + at, ho! + at, ro! + 4 * r, eps);
      else mod.lnForward(count, d, xo! + at, go!, bo!, yo! + at, ho! + at, ro! + 4 * r, eps);
    });
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
  if (d === 0) return [dx, dgamma, dbeta];
  const block = rowBlock(d);
  const blocks = Math.max(1, Math.ceil(rows / block));
  // Per block: float64 column sums of dy·xhat and dy (16·d bytes), then its float32 dgamma and
  // dbeta (8·d bytes; a lone block writes the outputs directly). malloc may grow the heap, so
  // offsets are read after it.
  const per = 24 * d;
  const scratch = backend.wasm._malloc(blocks * per) >>> 0;
  try {
    const [dyo, ho, ro, go, dxo, dgo, dbo] = [dy, xhat, rstd, gamma, dx, dgamma, dbeta].map(t => heapOffset(backend, t)) as number[];
    const mod = gemmModuleOn(wasmMemoryOf(backend));
    const plan = blocks > 1 ? poolPlanFor(backend, rows, block) : null;
    for (let b = 0; b < blocks; b++) {
      const r = b * block;
      const count = Math.min(block, rows - r);
      const acc = scratch + b * per;
      const [dgOut, dbOut] = blocks === 1 ? [dgo!, dbo!] : [acc + 16 * d, acc + 20 * d];
      const args = [count, d, dyo! + 4 * r * d, ho! + 4 * r * d, ro! + 4 * r, go!, dxo! + 4 * r * d, dgOut, dbOut, acc] as const;
      if (plan) {
        plan.task();
        plan.call('lnBackward', ...args);
      } else {
        mod.lnBackward(...args);
      }
    }
    plan?.finish();
    if (blocks > 1) {
      // The blocks' float64 sums, added in block order, rounded once.
      const heap = backend.wasm.HEAPU8.buffer;
      const gOut = new Float32Array(heap, dgo!, d);
      const bOut = new Float32Array(heap, dbo!, d);
      const sum = new Float64Array(2 * d);
      for (let b = 0; b < blocks; b++) {
        const acc = new Float64Array(heap, scratch + b * per, 2 * d);
        for (let j = 0; j < 2 * d; j++) sum[j] += acc[j]!;
      }
      for (let j = 0; j < d; j++) {
        gOut[j] = sum[j]!;
        bOut[j] = sum[d + j]!;
      }
    }
  } finally {
    backend.wasm._free(scratch);
  }
  return [dx, dgamma, dbeta];
}

export const layerNormWasm = ownWasmKernel(LAYER_NORM_KERNEL, layerNorm);
export const layerNormGradWasm = ownWasmKernel(LAYER_NORM_GRAD_KERNEL, layerNormGrad);
