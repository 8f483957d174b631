/**
 * GraftAdamw: one fused AdamW step (new param, m, v from param, grad, m, v) as a single kernel on
 * wasm (adamwModule.ts, SIMD). Not a tfjs kernel: graft adds it, and `fusedAdamw` (fusedAdamw.ts)
 * calls it when the active backend has it (elsewhere the step runs as tfjs ops).
 *
 * Why: the step as tfjs ops is 16 ops a parameter, each allocating an output and most a scalar
 * tensor; for the reference GPT (52 parameters) that measured 30-40 ms CPU a step on wasm, for
 * memory-bound work of ~1 ms. Results are bit-identical to the ops (same float32 operations in the
 * same order; float32 constants rounded as tfjs rounds them into scalar tensors).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { adamwOn } from './adamwModule.ts';
import { allocOutput, heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

export const ADAMW_KERNEL = 'GraftAdamw';

export interface AdamwAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Update count of this parameter, from 1 (bias correction). */
  t: number;
}

/** The float32 constants of the step, as the ops path's scalar tensors hold them. */
export function adamwConstants(h: AdamwAttrs): number[] {
  const f = Math.fround;
  return [f(h.beta1), f(1 - h.beta1), f(h.beta2), f(1 - h.beta2), f(1 - h.beta1 ** h.t), f(1 - h.beta2 ** h.t), f(h.eps), f(h.weightDecay), f(h.lr)];
}

function adamw(args: KernelArgs): TensorInfo[] {
  const { backend } = args;
  const { param, grad, m, v } = args.inputs as { param: TensorInfo; grad: TensorInfo; m: TensorInfo; v: TensorInfo };
  const h = args.attrs as unknown as AdamwAttrs;
  for (const x of [param, grad, m, v]) {
    if (x.dtype !== 'float32' || x.shape.join() !== param.shape.join()) {
      throw backendError(`${ADAMW_KERNEL}: param, grad, m and v must be float32 of one shape, got ${x.dtype} [${x.shape}] for [${param.shape}]`);
    }
  }
  const outs = [0, 1, 2].map(() => allocOutput(backend, param.shape.slice(), 'float32'));
  const n = param.shape.reduce((a, b) => a * b, 1);
  if (n === 0) return outs;
  if (isWasmBackend(backend)) {
    const fns = adamwOn(wasmMemoryOf(backend));
    const off = (x: TensorInfo) => heapOffset(backend, x);
    (h.weightDecay !== 0 ? fns.adamw : fns.adamwNoDecay)(n, off(param), off(grad), off(m), off(v), off(outs[0]!), off(outs[1]!), off(outs[2]!),
      ...(adamwConstants(h) as [number, number, number, number, number, number, number, number, number]));
  } else {
    throw backendError(`${ADAMW_KERNEL}: unsupported backend`);
  }
  return outs;
}

export const adamwWasm: GraftKernelSpec = {
  kernelName: ADAMW_KERNEL,
  backendName: 'wasm',
  purpose: 'fast',
  create: (): KernelConfig => ({ kernelName: ADAMW_KERNEL, backendName: 'wasm', kernelFunc: asKernelFunc(adamw) }),
};
