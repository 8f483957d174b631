/**
 * One fused AdamW step over flat float32 arrays in WebAssembly SIMD, generated at startup and
 * instantiated on the wasm backend's memory (see gemmModule.ts for the approach).
 *
 *   adamw(n, p, g, m, v, pOut, mOut, vOut, b1, c1, b2, c2, bc1, bc2, eps, wd, lr)
 *
 * computes, per element and in exactly this float32 operation order (the order of the tfjs ops
 * in plugins/optimizers/adamw/adamwUpdate.ts, so results are bit-identical to them):
 *
 *   m1 = m*b1 + g*c1;  v1 = v*b2 + (g*g)*c2;  dir = (m1/bc1) / (sqrt(v1/bc2) + eps)
 *   dir = dir + p*wd (adamw only; adamwNoDecay skips it, as the ops do for wd = 0)
 *   pOut = p - dir*lr
 *
 * Four elements at a time with f32x4 (IEEE-exact like the scalar ops), the tail one at a time.
 */
import { encodeModule, f32Lanes, F32, I32, op, V128, type Bytes, type ValType, localsAfter } from './wasmEncoder.ts';
import { perMemory } from './moduleOnMemory.ts';

const P = { n: 0, p: 1, g: 2, m: 3, v: 4, po: 5, mo: 6, vo: 7, b1: 8, c1: 9, b2: 10, c2: 11, bc1: 12, bc2: 13, eps: 14, wd: 15, lr: 16 };
const PARAMS: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32, F32];
const SCALARS = ['b1', 'c1', 'b2', 'c2', 'bc1', 'bc2', 'eps', 'wd', 'lr'] as const;

function buildAdamw(decay: boolean): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const { locals, local } = localsAfter(PARAMS);
  const off = local(I32);
  const end4 = local(I32);
  const end = local(I32);
  const splat = Object.fromEntries(SCALARS.map(k => [k, local(V128)])) as Record<(typeof SCALARS)[number], number>;
  const [pv, gv, m1, v1, dir] = [local(V128), local(V128), local(V128), local(V128), local(V128)];
  const [ps, gs, m1s, v1s, dirs] = [local(F32), local(F32), local(F32), local(F32), local(F32)];
  const g = op.get;
  /** The element at `base + off` (byte offset). */
  const at = (base: number): Bytes => [...g(base), ...g(off), ...op.i32Add];

  function step(vec: boolean): Bytes {
    const { load, store, mul, add, sub, div, sqrt } = f32Lanes(vec);
    const k = (name: (typeof SCALARS)[number]) => g(vec ? splat[name] : P[name]);
    const [p_, g_, m1_, v1_, dir_] = vec ? [pv, gv, m1, v1, dir] : [ps, gs, m1s, v1s, dirs];
    return [
      ...at(P.p), ...load, ...op.set(p_),
      ...at(P.g), ...load, ...op.set(g_),
      ...at(P.m), ...load, ...k('b1'), ...mul, ...g(g_), ...k('c1'), ...mul, ...add, ...op.set(m1_),
      ...at(P.v), ...load, ...k('b2'), ...mul, ...g(g_), ...g(g_), ...mul, ...k('c2'), ...mul, ...add, ...op.set(v1_),
      ...g(m1_), ...k('bc1'), ...div, ...g(v1_), ...k('bc2'), ...div, ...sqrt, ...k('eps'), ...add, ...div, ...op.set(dir_),
      ...(decay ? [...g(dir_), ...g(p_), ...k('wd'), ...mul, ...add, ...op.set(dir_)] : []),
      ...at(P.po), ...g(p_), ...g(dir_), ...k('lr'), ...mul, ...sub, ...store,
      ...at(P.mo), ...g(m1_), ...store,
      ...at(P.vo), ...g(v1_), ...store,
    ];
  }

  const loop = (limit: number, by: number, vec: boolean): Bytes => [
    ...op.block, ...op.loop,
    ...g(off), ...g(limit), ...op.i32GeS, ...op.brIf(1),
    ...step(vec),
    ...g(off), ...op.i32(by), ...op.i32Add, ...op.set(off), ...op.br(0),
    ...op.end, ...op.end,
  ];

  const body: Bytes = [
    ...SCALARS.flatMap(name => [...g(P[name]), ...op.f32x4Splat, ...op.set(splat[name])]),
    // Byte offsets: whole vectors up to end4, then single elements up to end.
    ...g(P.n), ...op.i32(2), ...op.i32Shl, ...op.set(end),
    ...g(P.n), ...op.i32(-4), 0x71 /* i32.and */, ...op.i32(2), ...op.i32Shl, ...op.set(end4),
    ...op.i32(0), ...op.set(off),
    ...loop(end4, 16, true),
    ...loop(end, 4, false),
  ];
  return { params: PARAMS, locals, body };
}

export type AdamwFn = (n: number, p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number,
  b1: number, c1: number, b2: number, c2: number, bc1: number, bc2: number, eps: number, wd: number, lr: number) => void;

export function adamwModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: 'adamw', ...buildAdamw(true) }, { name: 'adamwNoDecay', ...buildAdamw(false) }], sharedMemory);
}

/** The module instantiated on `memory` (a WebAssembly.Memory), once per memory. */
export const adamwOn: (memory: { buffer: ArrayBufferLike }) => { adamw: AdamwFn; adamwNoDecay: AdamwFn } = perMemory(
  adamwModuleBytes,
  (exports) => ({ adamw: exports['adamw'] as AdamwFn, adamwNoDecay: exports['adamwNoDecay'] as AdamwFn }),
);
