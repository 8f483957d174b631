/**
 * One AdamW step through graft's fused kernel (kernels/Adamw.ts) when the active backend has it
 * (wasm, with fast kernels on), else null and the caller runs the step as tfjs ops.
 * Bit-identical to the ops of plugins/optimizers/adamw/adamwUpdate.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_KERNEL, adamwConstants, type AdamwAttrs } from './kernels/Adamw.ts';
import { adamwOn } from './kernels/adamwModule.ts';
import { heapOffset, rewroteInPlace, wasmMemoryOf } from './kernels/heap.ts';
import { inPlaceBackend } from './inPlaceBackend.ts';

export type { AdamwAttrs };

export function fusedAdamw(
  param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamwAttrs,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } | null {
  if (tf.getKernel(ADAMW_KERNEL, tf.getBackend()) == null) return null;
  if (!float32OfOneShape(param, grad, m, v)) return null;
  const attrs: AdamwAttrs = { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weightDecay: h.weightDecay, t: h.t };
  const [p1, m1, v1] = tf.engine().runKernel(ADAMW_KERNEL, { param, grad, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { param: p1!, m: m1!, v: v1! };
}

/**
 * The same step written into `param`, `m` and `v` themselves: no new tensors (three a parameter
 * otherwise, each a malloc, the engine's bookkeeping and a free: measured 86 -> 20 µs for the
 * micro GPT's 16 parameters, 257 -> 127 µs for the tiny GPT's 28, bench/README). Only where no one
 * can see the old values: graft's kernel on wasm, float32 tensors of one shape, and param, m and v
 * each the only holder of its memory (a clone or reshape shares it: a snapshot taken with
 * `tf.clone` keeps its values). Cached XNNPACK operators packed from the old values are dropped
 * (`rewroteInPlace`). Returns false, having changed nothing, where it does not apply; the caller
 * then runs `fusedAdamw` (or the ops) and assigns. Bit-identical to `fusedAdamw`.
 */
export function adamwInPlace(param: tf.Variable, grad: tf.Tensor, m: tf.Variable, v: tf.Variable, h: AdamwAttrs): boolean {
  const backend = inPlaceBackend();
  if (!backend) return false;
  if (!float32OfOneShape(param, grad, m, v)) return false;
  const p = param.dataId, g = grad.dataId, md = m.dataId, vd = v.dataId;
  if (p === md || p === vd || md === vd || g === p || g === md || g === vd) return false;
  if (backend.refCount(p) !== 1 || backend.refCount(md) !== 1 || backend.refCount(vd) !== 1) return false;
  const n = param.size;
  if (n === 0) return true;
  const fns = adamwOn(wasmMemoryOf(backend));
  const po = heapOffset(backend, param), mo = heapOffset(backend, m), vo = heapOffset(backend, v);
  (h.weightDecay !== 0 ? fns.adamw : fns.adamwNoDecay)(n, po, heapOffset(backend, grad), mo, vo, po, mo, vo,
    ...(adamwConstants(h) as [number, number, number, number, number, number, number, number, number]));
  rewroteInPlace(backend, param);
  rewroteInPlace(backend, m);
  rewroteInPlace(backend, v);
  return true;
}

/** What graft's AdamW kernel takes: param, grad, m and v float32 of one shape. */
function float32OfOneShape(param: tf.Tensor, ...others: tf.Tensor[]): boolean {
  if (param.dtype !== 'float32') return false;
  for (const x of others) if (x.dtype !== 'float32' || !tf.util.arraysEqual(x.shape, param.shape)) return false;
  return true;
}
