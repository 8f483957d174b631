/**
 * Layer normalisation over the last axis in WebAssembly SIMD, instantiated on the wasm backend's
 * memory (see gemmModule.ts for the approach). Rows of `d` float32s:
 *
 *   lnForward(rows, d, x, gamma, beta, y, xhat, rstd, eps)
 *     mean = Σx / d, var = Σ(x - mean)² / d (two passes), rstd = 1 / sqrt(var + eps),
 *     xhat = (x - mean) · rstd, y = xhat · gamma + beta
 *   lnBackward(rows, d, dy, xhat, rstd, gamma, dx, dgamma, dbeta, acc)
 *     g = dy · gamma, dx = (g - mean(g) - xhat · mean(g · xhat)) · rstd,
 *     dgamma = Σ_rows dy · xhat, dbeta = Σ_rows dy (accumulated in float64 in `acc`, 16·d bytes)
 *
 * One pass over a row per reduction and one to write, instead of the ~9 tfjs kernels of the
 * forward pass and ~11 of the closed-form gradient (core/nn/layers.ts), each a pass over the whole
 * [tokens, width] tensor with an output allocated. Row sums are float64 (widened f32x4 lanes),
 * so results differ from the ops path by float32 rounding (tested against it and float64).
 */
import { encodeModule, F32, F64, I32, op, V128, type Bytes, type ValType, localsAfter } from './wasmEncoder.ts';
import { perMemory } from './moduleOnMemory.ts';

const f64ConvertI32S: Bytes = [0xb7];
const f64Div: Bytes = [0xa3];
const f64x2Mul: Bytes = [0xfd, 0xf2, 0x01];
const f64x2ExtractLane = (lane: number): Bytes => [0xfd, 0x21, lane];
const f32One: Bytes = [0x43, ...new Uint8Array(new Float32Array([1]).buffer)];
const g = op.get;
const set = op.set;

/** while (get(counter) < limit) { body; counter += step } (signed compare). */
function whileLt(counter: number, limit: Bytes, step: number, body: Bytes): Bytes {
  return [
    ...op.block, ...op.loop,
    ...g(counter), ...limit, ...op.i32GeS, ...op.brIf(1),
    ...body,
    ...g(counter), ...op.i32(step), ...op.i32Add, ...set(counter),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/**
 * Adds the f32x4 on the stack, widened, to the float64 pair accumulators lo (lanes 0-1) and hi
 * (2-3); with `square`, its squares. Row sums are float64: a row whose mean is large against its
 * spread (activations often are) keeps its mean and deviations as exact as float32 allows.
 */
function accumulate64(tmp: number, wide: number, lo: number, hi: number, square = false): Bytes {
  const sq = square ? [...op.tee(wide), ...g(wide), ...f64x2Mul] : [];
  return [
    ...op.tee(tmp), ...op.f64x2PromoteLowF32x4, ...sq, ...g(lo), ...op.f64x2Add, ...set(lo),
    ...g(tmp), ...g(tmp), ...op.shuffle32([2, 3, 2, 3]), ...op.f64x2PromoteLowF32x4, ...sq, ...g(hi), ...op.f64x2Add, ...set(hi),
  ];
}

/** (lo0 + lo1) + (hi0 + hi1) of two f64x2 locals. */
function hsum64(lo: number, hi: number): Bytes {
  return [
    ...g(lo), ...f64x2ExtractLane(0), ...g(lo), ...f64x2ExtractLane(1), ...op.f64Add,
    ...g(hi), ...f64x2ExtractLane(0), ...g(hi), ...f64x2ExtractLane(1), ...op.f64Add,
    ...op.f64Add,
  ];
}

const add = (...xs: Bytes[]): Bytes => [...xs[0]!, ...xs.slice(1).flatMap((x) => [...x, ...op.i32Add])];

/** Byte addresses at column offset `j` of the current row (`ro`) of a [rows, d] array, and of a [d] one. */
function rowAddressing(ro: number, j: number): { at: (base: number) => Bytes; col: (base: number) => Bytes } {
  return { at: (base) => add(g(base), g(ro), g(j)), col: (base) => add(g(base), g(j)) };
}

function buildForward(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const P = { rows: 0, d: 1, x: 2, gamma: 3, beta: 4, y: 5, xhat: 6, rstd: 7, eps: 8 };
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, F32];
  const f = localsAfter(params);
  const r = f.local(I32);
  const ro = f.local(I32); // byte offset of the row
  const j = f.local(I32); // byte offset in the row
  const vend = f.local(I32);
  const end = f.local(I32);
  const lo = f.local(V128);
  const hi = f.local(V128);
  const t = f.local(V128);
  const wide = f.local(V128);
  const mv = f.local(V128);
  const rv = f.local(V128);
  const mean = f.local(F32);
  const rs = f.local(F32);
  const ts = f.local(F32);
  const s = f.local(F64);
  const s2 = f.local(F64);
  const fd = f.local(F64);
  const { at, col } = rowAddressing(ro, j);
  const xv = [...at(P.x), ...op.v128Load()];
  const xs = [...at(P.x), ...op.f32Load()];
  const body: Bytes = [
    ...g(P.d), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...set(vend),
    ...g(P.d), ...op.i32(2), ...op.i32Shl, ...set(end),
    ...g(P.d), ...f64ConvertI32S, ...set(fd),
    ...op.i32(0), ...set(ro),
    ...op.i32(0), ...set(r),
    ...whileLt(r, g(P.rows), 1, [
      // mean
      ...op.v128Const0, ...set(lo),
      ...op.v128Const0, ...set(hi),
      ...op.i32(0), ...set(j),
      ...whileLt(j, g(vend), 16, [...xv, ...accumulate64(t, wide, lo, hi)]),
      ...hsum64(lo, hi), ...set(s),
      ...whileLt(j, g(end), 4, [...g(s), ...xs, ...op.f64PromoteF32, ...op.f64Add, ...set(s)]),
      ...g(s), ...g(fd), ...f64Div, ...op.f32DemoteF64, ...set(mean),
      ...g(mean), ...op.f32x4Splat, ...set(mv),
      // variance, from the float32 deviations
      ...op.v128Const0, ...set(lo),
      ...op.v128Const0, ...set(hi),
      ...op.i32(0), ...set(j),
      ...whileLt(j, g(vend), 16, [...xv, ...g(mv), ...op.f32x4Sub, ...accumulate64(t, wide, lo, hi, true)]),
      ...hsum64(lo, hi), ...set(s),
      ...whileLt(j, g(end), 4, [...xs, ...g(mean), ...op.f32Sub, ...op.f64PromoteF32, ...op.tee(s2), ...g(s2), ...op.f64Mul, ...g(s), ...op.f64Add, ...set(s)]),
      ...f32One, ...g(s), ...g(fd), ...f64Div, ...op.f32DemoteF64, ...g(P.eps), ...op.f32Add, ...op.f32Sqrt, ...op.f32Div, ...set(rs),
      ...add(g(P.rstd), [...g(r), ...op.i32(2), ...op.i32Shl]), ...g(rs), ...op.f32Store(),
      ...g(rs), ...op.f32x4Splat, ...set(rv),
      // xhat and y
      ...op.i32(0), ...set(j),
      ...whileLt(j, g(vend), 16, [
        ...xv, ...g(mv), ...op.f32x4Sub, ...g(rv), ...op.f32x4Mul, ...set(t),
        ...at(P.xhat), ...g(t), ...op.v128Store(),
        ...at(P.y), ...g(t), ...col(P.gamma), ...op.v128Load(), ...op.f32x4Mul, ...col(P.beta), ...op.v128Load(), ...op.f32x4Add, ...op.v128Store(),
      ]),
      ...whileLt(j, g(end), 4, [
        ...xs, ...g(mean), ...op.f32Sub, ...g(rs), ...op.f32Mul, ...set(ts),
        ...at(P.xhat), ...g(ts), ...op.f32Store(),
        ...at(P.y), ...g(ts), ...col(P.gamma), ...op.f32Load(), ...op.f32Mul, ...col(P.beta), ...op.f32Load(), ...op.f32Add, ...op.f32Store(),
      ]),
      ...g(ro), ...g(end), ...op.i32Add, ...set(ro),
    ]),
  ];
  return { params, locals: f.locals, body };
}


function buildBackward(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const P = { rows: 0, d: 1, dy: 2, xhat: 3, rstd: 4, gamma: 5, dx: 6, dgamma: 7, dbeta: 8, acc: 9 };
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const f = localsAfter(params);
  const r = f.local(I32);
  const ro = f.local(I32);
  const j = f.local(I32);
  const vend = f.local(I32);
  const end = f.local(I32);
  const dbAt = f.local(I32); // byte address of the dbeta accumulators (after dgamma's)
  const alo = f.local(V128);
  const ahi = f.local(V128);
  const blo = f.local(V128);
  const bhi = f.local(V128);
  const tmp = f.local(V128);
  const wide = f.local(V128);
  const u = f.local(V128);
  const w = f.local(V128);
  const t = f.local(V128);
  const q = f.local(V128);
  const m1v = f.local(V128);
  const m2v = f.local(V128);
  const rv = f.local(V128);
  const rs = f.local(F32);
  const sa = f.local(F64);
  const sb = f.local(F64);
  const us = f.local(F32);
  const ws = f.local(F32);
  const ts = f.local(F32);
  const m1 = f.local(F32);
  const m2 = f.local(F32);
  const fd = f.local(F64);
  const { at, col } = rowAddressing(ro, j);
  /** Byte address of column j's float64 accumulator in the block at `base` (j is a float32 byte offset). */
  const acc64 = (base: Bytes, extra = 0): Bytes => [...base, ...g(j), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...(extra ? [...op.i32(extra), ...op.i32Add] : [])];
  /** Adds the four lanes of f32x4 local v, widened, to the float64 accumulators at base. */
  const accumulate4 = (base: Bytes, v: number): Bytes => [
    ...acc64(base), ...acc64(base), ...op.v128Load(), ...g(v), ...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.v128Store(),
    ...acc64(base, 16), ...acc64(base, 16), ...op.v128Load(), ...g(v), ...g(v), ...op.shuffle32([2, 3, 2, 3]), ...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.v128Store(),
  ];
  const accumulate1 = (base: Bytes, v: Bytes): Bytes => [
    ...acc64(base), ...acc64(base), ...op.f64Load(), ...v, ...op.f64PromoteF32, ...op.f64Add, ...op.f64Store(),
  ];
  const body: Bytes = [
    ...g(P.d), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...set(vend),
    ...g(P.d), ...op.i32(2), ...op.i32Shl, ...set(end),
    ...g(P.d), ...f64ConvertI32S, ...set(fd),
    ...g(P.acc), ...g(end), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...set(dbAt),
    // acc = 0 (2·d float64s: 16·d bytes)
    ...op.i32(0), ...set(j),
    ...whileLt(j, [...g(end), ...op.i32(2), ...op.i32Shl], 16, [...add(g(P.acc), g(j)), ...op.v128Const0, ...op.v128Store()]),
    ...op.i32(0), ...set(ro),
    ...op.i32(0), ...set(r),
    ...whileLt(r, g(P.rows), 1, [
      ...add(g(P.rstd), [...g(r), ...op.i32(2), ...op.i32Shl]), ...op.f32Load(), ...set(rs),
      // mean(g) and mean(g · xhat); the columns' sums of dy · xhat and dy
      ...op.v128Const0, ...set(alo),
      ...op.v128Const0, ...set(ahi),
      ...op.v128Const0, ...set(blo),
      ...op.v128Const0, ...set(bhi),
      ...op.i32(0), ...set(j),
      ...whileLt(j, g(vend), 16, [
        ...at(P.dy), ...op.v128Load(), ...set(u),
        ...at(P.xhat), ...op.v128Load(), ...set(w),
        ...g(u), ...col(P.gamma), ...op.v128Load(), ...op.f32x4Mul, ...op.tee(t),
        ...accumulate64(tmp, wide, alo, ahi),
        ...g(t), ...g(w), ...op.f32x4Mul, ...accumulate64(tmp, wide, blo, bhi),
        ...g(u), ...g(w), ...op.f32x4Mul, ...set(q),
        ...accumulate4(g(P.acc), q),
        ...accumulate4(g(dbAt), u),
      ]),
      ...hsum64(alo, ahi), ...set(sa),
      ...hsum64(blo, bhi), ...set(sb),
      ...whileLt(j, g(end), 4, [
        ...at(P.dy), ...op.f32Load(), ...set(us),
        ...at(P.xhat), ...op.f32Load(), ...set(ws),
        ...g(us), ...col(P.gamma), ...op.f32Load(), ...op.f32Mul, ...op.tee(ts),
        ...op.f64PromoteF32, ...g(sa), ...op.f64Add, ...set(sa),
        ...g(ts), ...g(ws), ...op.f32Mul, ...op.f64PromoteF32, ...g(sb), ...op.f64Add, ...set(sb),
        ...accumulate1(g(P.acc), [...g(us), ...g(ws), ...op.f32Mul]),
        ...accumulate1(g(dbAt), g(us)),
      ]),
      ...g(sa), ...g(fd), ...f64Div, ...op.f32DemoteF64, ...op.tee(m1), ...op.f32x4Splat, ...set(m1v),
      ...g(sb), ...g(fd), ...f64Div, ...op.f32DemoteF64, ...op.tee(m2), ...op.f32x4Splat, ...set(m2v),
      ...g(rs), ...op.f32x4Splat, ...set(rv),
      // dx = ((g - m1) - xhat · m2) · rstd
      ...op.i32(0), ...set(j),
      ...whileLt(j, g(vend), 16, [
        ...at(P.dx),
        ...at(P.dy), ...op.v128Load(), ...col(P.gamma), ...op.v128Load(), ...op.f32x4Mul, ...g(m1v), ...op.f32x4Sub,
        ...at(P.xhat), ...op.v128Load(), ...g(m2v), ...op.f32x4Mul, ...op.f32x4Sub,
        ...g(rv), ...op.f32x4Mul, ...op.v128Store(),
      ]),
      ...whileLt(j, g(end), 4, [
        ...at(P.dx),
        ...at(P.dy), ...op.f32Load(), ...col(P.gamma), ...op.f32Load(), ...op.f32Mul, ...g(m1), ...op.f32Sub,
        ...at(P.xhat), ...op.f32Load(), ...g(m2), ...op.f32Mul, ...op.f32Sub,
        ...g(rs), ...op.f32Mul, ...op.f32Store(),
      ]),
      ...g(ro), ...g(end), ...op.i32Add, ...set(ro),
    ]),
    // dgamma, dbeta = float32 of the accumulators
    ...op.i32(0), ...set(j),
    ...whileLt(j, g(end), 4, [
      ...col(P.dgamma), ...acc64(g(P.acc)), ...op.f64Load(), ...op.f32DemoteF64, ...op.f32Store(),
      ...col(P.dbeta), ...acc64(g(dbAt)), ...op.f64Load(), ...op.f32DemoteF64, ...op.f32Store(),
    ]),
  ];
  return { params, locals: f.locals, body };
}

export type LnForwardFn = (rows: number, d: number, x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, eps: number) => void;
export type LnBackwardFn = (rows: number, d: number, dy: number, xhat: number, rstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, acc: number) => void;

export function layerNormModuleBytes(sharedMemory: boolean): Uint8Array {
  return encodeModule([{ name: 'lnForward', ...buildForward() }, { name: 'lnBackward', ...buildBackward() }], sharedMemory);
}

/** The module instantiated on `memory` (a WebAssembly.Memory), once per memory. */
export const layerNormOn: (memory: { buffer: ArrayBufferLike }) => { lnForward: LnForwardFn; lnBackward: LnBackwardFn } = perMemory(
  layerNormModuleBytes,
  (exports) => ({ lnForward: exports['lnForward'] as LnForwardFn, lnBackward: exports['lnBackward'] as LnBackwardFn }),
);
