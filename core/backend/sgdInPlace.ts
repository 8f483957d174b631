/**
 * One SGD step (momentum optional, Nesterov optional, L2 weight decay) written into the parameter
 * and its momentum buffer themselves, as `adamwInPlace` (fusedAdamw.ts) does for AdamW: the ops of
 * plugins/optimizers/sgd/sgdUpdate.ts allocate the new parameter, the new buffer and one or two
 * temporaries a parameter each step, each a malloc, the engine's bookkeeping and a free.
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, rewroteInPlace, wasmMemoryOf } from './kernels/heap.ts';
import { inPlaceBackend } from './inPlaceBackend.ts';
import { sgdOn, sgdVariant, type SgdMomentum } from './kernels/sgdModule.ts';

export interface SgdAttrs {
  lr: number;
  /** 0: plain SGD, no buffer. */
  momentum: number;
  nesterov: boolean;
  /** L2: `wd * p` added to the gradient; 0 skips it (as the ops do). */
  weightDecay: number;
}

/** The float32 constants of the step [wd, mu, lr], as the ops path's scalar tensors hold them. */
export function sgdConstants(h: SgdAttrs): [number, number, number] {
  const f = Math.fround;
  return [f(h.weightDecay), f(h.momentum), f(h.lr)];
}

/** Which update the ops make: no buffer (momentum 0 or none given) is plain SGD, as sgdUpdate. */
export function sgdMomentum(h: SgdAttrs, hasBuffer: boolean): SgdMomentum {
  if (h.momentum === 0 || !hasBuffer) return 'plain';
  return h.nesterov ? 'nesterov' : 'momentum';
}

/**
 * The step written into `param` and `buf`: no new tensors. Only where no one can see the old
 * values, under adamwInPlace's conditions: wasm with graft's fast kernels on, float32 tensors of
 * one shape, distinct memories, and param and buf each the only holder of its memory (a clone or
 * reshape shares it). `buf` is neither read nor checked for plain SGD. Returns false, having
 * changed nothing, where it does not apply; the caller then runs the ops and assigns.
 * Bit-identical to the ops on wasm.
 */
export function sgdInPlace(param: tf.Variable, grad: tf.Tensor, buf: tf.Variable | undefined, h: SgdAttrs): boolean {
  const backend = inPlaceBackend();
  if (!backend) return false;
  const momentum = sgdMomentum(h, buf !== undefined);
  const b = momentum === 'plain' ? undefined : buf;
  if (!float32Like(param, grad) || (b !== undefined && !float32Like(param, b))) return false;
  const p = param.dataId, g = grad.dataId;
  if (g === p || backend.refCount(p) !== 1) return false;
  if (b !== undefined && (b.dataId === p || b.dataId === g || backend.refCount(b.dataId) !== 1)) return false;
  const n = param.size;
  if (n === 0) return true;
  const po = heapOffset(backend, param);
  const bo = b === undefined ? 0 : heapOffset(backend, b);
  sgdOn(wasmMemoryOf(backend))[sgdVariant(momentum, h.weightDecay)](n, po, heapOffset(backend, grad), bo, po, bo, ...sgdConstants(h));
  rewroteInPlace(backend, param);
  if (b !== undefined) rewroteInPlace(backend, b);
  return true;
}

/** float32 and of `param`'s shape (what the module reads). */
function float32Like(param: tf.Tensor, x: tf.Tensor): boolean {
  return param.dtype === 'float32' && x.dtype === 'float32' && tf.util.arraysEqual(x.shape, param.shape);
}
