/**
 * Row softmax of causal attention scores, and its gradient, in WebAssembly SIMD: two functions of
 * the module graft's GEMM threads instantiate (gemmModule.ts), so a head's whole attention can be
 * one task on any thread. Per head a [T, T] block of float32s; row
 * i holds the scores of query i against keys 0..T-1, of which keys 0..i count:
 *
 *   softmaxCausal(heads, T, p, s, mask, pd):  p[i, j] = exp(s*p[i, j] - m_i) / sum_j<=i exp(...)
 *                                          for j <= i (m_i = max of s*p[i, j<=i]), 0 for j > i;
 *                                          with a dropout mask (pointer not 0) also pd = p * mask
 *   softmaxCausalGrad(heads, T, p, dp, s, mask):  g = dp (times mask if given), then
 *                                          dp[i, j] = p[i, j] * (g[i, j] - sum_k p[i, k] g[i, k]) * s
 *                                          for j <= i, 0 for j > i
 *
 * Rows are read in 4-wide vectors up to the first multiple of 4 past the diagonal: the lanes past
 * it are first set to -3e38 (forward: their exponent underflows and is masked to exactly 0) or
 * hold p = 0 (gradient), and everything from that multiple of 4 to T is written as zeros, so the
 * products that read these blocks afterwards can rely on the zeros above the diagonal.
 *
 * exp: x = n ln2 + r with n = nearest(x log2 e), r by a two-constant reduction, Cephes' degree-6
 * polynomial for e^r (within ~2 ulp of float32 exp), times 2^n built in the exponent bits; inputs
 * below -87.3 (after the max shift) give exactly 0, as float32 exp would underflow them anyway.
 */
import { F32, I32, op, uleb, V128, type Bytes, type FuncDef, type ValType } from './wasmEncoder.ts';

const f32Bits = (v: number): Bytes => [...new Uint8Array(new Float32Array([v]).buffer)];
const f32 = (v: number): Bytes => [0x43, ...f32Bits(v)];
const splat = (v: number): Bytes => [0xfd, ...uleb(0x0c), ...f32Bits(v), ...f32Bits(v), ...f32Bits(v), ...f32Bits(v)];
const simd = (code: number): Bytes => [0xfd, ...uleb(code)];
const F32X4_MAX = simd(0xe9);
const F32X4_GT = simd(0x44);
const F32X4_NEAREST = simd(0x6a);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8);
const I32X4_ADD = simd(0xae);
const I32X4_SHL = simd(0xab);
const V128_AND = simd(0x4e);
const I32X4_SPLAT = simd(0x11);
const F32_MAX = [0x97];
/** memory.fill: dst, value, bytes on the stack. */
const MEMORY_FILL = [0xfc, ...uleb(11), 0x00];

const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Below this (after the max shift) e^x is returned as exactly 0. */
const EXP_MIN = -87.3;
const PAST_DIAGONAL = -3e38;

/** e^x of the f32x4 in local `x`, left on the stack; uses locals `n` and `r` (v128). */
function expVec(x: number, n: number, r: number): Bytes {
  const g = op.get;
  const out: Bytes = [];
  // Clamp first so the reduction stays finite; lanes below EXP_MIN are masked to 0 at the end.
  out.push(...g(x), ...splat(-88), ...F32X4_MAX, ...op.set(r));
  out.push(...g(r), ...splat(LOG2E), ...op.f32x4Mul, ...F32X4_NEAREST, ...op.set(n));
  out.push(...g(r), ...g(n), ...splat(LN2_HI), ...op.f32x4Mul, ...op.f32x4Sub);
  out.push(...g(n), ...splat(LN2_LO), ...op.f32x4Mul, ...op.f32x4Sub, ...op.set(r));
  // Horner: ((((p0 r + p1) r + p2) r + p3) r + p4) r + p5, then * r^2 + r + 1.
  out.push(...splat(EXP_P[0]!));
  for (let i = 1; i < EXP_P.length; i++) out.push(...g(r), ...op.f32x4Mul, ...splat(EXP_P[i]!), ...op.f32x4Add);
  out.push(...g(r), ...op.f32x4Mul, ...g(r), ...op.f32x4Mul, ...g(r), ...op.f32x4Add, ...splat(1), ...op.f32x4Add);
  // 2^n: (n + 127) << 23 as float bits.
  out.push(...g(n), ...I32X4_TRUNC_SAT_F32X4_S, ...op.i32(127), ...I32X4_SPLAT, ...I32X4_ADD, ...op.i32(23), ...I32X4_SHL);
  out.push(...op.f32x4Mul);
  out.push(...g(x), ...splat(EXP_MIN), ...F32X4_GT, ...V128_AND);
  return out;
}

/** Horizontal reduction of the f32x4 in local `v` with a scalar binary op, left on the stack. */
function hReduce(v: number, combine: Bytes): Bytes {
  const g = op.get;
  return [
    ...g(v), ...op.f32x4ExtractLane(0), ...g(v), ...op.f32x4ExtractLane(1), ...combine,
    ...g(v), ...op.f32x4ExtractLane(2), ...g(v), ...op.f32x4ExtractLane(3), ...combine,
    ...combine,
  ];
}

/** for (j = 0; j < end4; j += 16) body (j and end4 in bytes) */
function vecLoop(j: number, end4: number, body: Bytes): Bytes {
  const g = op.get;
  return [
    ...op.i32(0), ...op.set(j),
    ...op.block, ...op.loop,
    ...g(j), ...g(end4), ...op.i32GeS, ...op.brIf(1),
    ...body,
    ...g(j), ...op.i32(16), ...op.i32Add, ...op.set(j), ...op.br(0),
    ...op.end, ...op.end,
  ];
}

interface RowVars {
  /** Byte offset of the row from the first pointer (same for every [heads, T, T] array). */
  base: number;
  /** Row index i (the diagonal element). */
  i: number;
  /** Byte offset within the row (vector loops). */
  j: number;
  /** Bytes up to the first multiple of 4 elements past the diagonal (at most the row). */
  end4: number;
}

/**
 * For every head and row i of [heads, T, T] arrays (params 0 and 1 are heads and T): `row`, then
 * zeros in the row of each array at the params `zeroed` (skipped where the pointer is 0) from end4
 * to the row's end.
 */
function rowLoop(params: ValType[], zeroed: number[], row: (v: RowVars, local: (t: ValType) => number) => Bytes): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const [heads, T] = [0, 1];
  const locals: ValType[] = [];
  const local = (t: ValType) => params.length + locals.push(t) - 1;
  const g = op.get;
  const v: RowVars = { base: local(I32), i: local(I32), j: local(I32), end4: local(I32) };
  const h = local(I32);
  const rowBytes = local(I32);
  const inner = row(v, local);
  const body: Bytes = [
    ...g(T), ...op.i32(2), ...op.i32Shl, ...op.set(rowBytes),
    ...op.i32(0), ...op.set(v.base),
    ...op.i32(0), ...op.set(h),
    ...op.block, ...op.loop,
    ...g(h), ...g(heads), ...op.i32GeS, ...op.brIf(1),
    ...op.i32(0), ...op.set(v.i),
    ...op.block, ...op.loop,
    ...g(v.i), ...g(T), ...op.i32GeS, ...op.brIf(1),
    // end4 = min(T, (i + 4) & ~3) elements, in bytes.
    ...g(v.i), ...op.i32(4), ...op.i32Add, ...op.i32(-4), ...op.i32And, ...op.tee(v.end4),
    ...g(T), ...g(v.end4), ...g(T), ...op.i32LtS, ...op.select, ...op.i32(2), ...op.i32Shl, ...op.set(v.end4),
    ...inner,
    ...zeroed.flatMap(z => [
      ...g(z), ...op.if,
      ...g(z), ...g(v.base), ...op.i32Add, ...g(v.end4), ...op.i32Add, ...op.i32(0), ...g(rowBytes), ...g(v.end4), ...op.i32Sub, ...MEMORY_FILL,
      ...op.end,
    ]),
    ...g(v.base), ...g(rowBytes), ...op.i32Add, ...op.set(v.base),
    ...g(v.i), ...op.i32(1), ...op.i32Add, ...op.set(v.i), ...op.br(0),
    ...op.end, ...op.end,
    ...g(h), ...op.i32(1), ...op.i32Add, ...op.set(h), ...op.br(0),
    ...op.end, ...op.end,
  ];
  return { params, locals, body };
}

/** Address of element j (bytes) of the row at `base` of the array at param `p`. */
const at = (p: number, v: RowVars): Bytes => [...op.get(p), ...op.get(v.base), ...op.i32Add, ...op.get(v.j), ...op.i32Add];

function buildSoftmax(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, I32, I32, F32, I32, I32];
  const [, , p, scale, mask, pd] = [0, 1, 2, 3, 4, 5];
  const g = op.get;
  return rowLoop(params, [p, pd], (v, local) => {
    const acc = local(V128);
    const x = local(V128);
    const n = local(V128);
    const r = local(V128);
    const e = local(V128);
    const sv = local(V128);
    const mx = local(F32);
    const k = local(I32);
    return [
      ...g(scale), ...op.f32x4Splat, ...op.set(sv),
      // The elements after the diagonal in the row's last vector: PAST_DIAGONAL.
      ...g(v.end4), ...op.i32(2), ...op.i32ShrU, ...op.set(k),
      ...op.block, ...op.loop,
      ...g(k), ...op.i32(1), ...op.i32Sub, ...op.tee(k), ...g(v.i), ...op.i32LeS, ...op.brIf(1),
      ...g(p), ...g(v.base), ...op.i32Add, ...g(k), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...f32(PAST_DIAGONAL), ...op.f32Store(),
      ...op.br(0),
      ...op.end, ...op.end,
      // Pass 1: the row's max (scaled after: scale > 0).
      ...splat(PAST_DIAGONAL), ...op.set(acc),
      ...vecLoop(v.j, v.end4, [...at(p, v), ...op.v128Load(), ...g(acc), ...F32X4_MAX, ...op.set(acc)]),
      ...hReduce(acc, F32_MAX), ...g(scale), ...op.f32Mul, ...op.set(mx),
      // Pass 2: e = exp(scale * s - max), stored and summed.
      ...op.v128Const0, ...op.set(acc),
      ...vecLoop(v.j, v.end4, [
        ...at(p, v), ...op.v128Load(), ...g(sv), ...op.f32x4Mul, ...g(mx), ...op.f32x4Splat, ...op.f32x4Sub, ...op.set(x),
        ...expVec(x, n, r), ...op.set(e),
        ...at(p, v), ...g(e), ...op.v128Store(),
        ...g(acc), ...g(e), ...op.f32x4Add, ...op.set(acc),
      ]),
      // Pass 3: times 1 / sum; with a dropout mask also pd = p * mask.
      ...f32(1), ...hReduce(acc, op.f32Add), ...op.f32Div, ...op.f32x4Splat, ...op.set(acc),
      ...g(mask), ...op.if,
      ...vecLoop(v.j, v.end4, [
        ...at(p, v), ...at(p, v), ...op.v128Load(), ...g(acc), ...op.f32x4Mul, ...op.tee(e), ...op.v128Store(),
        ...at(pd, v), ...g(e), ...at(mask, v), ...op.v128Load(), ...op.f32x4Mul, ...op.v128Store(),
      ]),
      ...op.else,
      ...vecLoop(v.j, v.end4, [...at(p, v), ...at(p, v), ...op.v128Load(), ...g(acc), ...op.f32x4Mul, ...op.v128Store()]),
      ...op.end,
    ];
  });
}

function buildSoftmaxGrad(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, I32, I32, I32, F32, I32];
  const [, , p, dp, scale, mask] = [0, 1, 2, 3, 4, 5];
  const g = op.get;
  return rowLoop(params, [dp], (v, local) => {
    const acc = local(V128);
    const pv = local(V128);
    return [
      // With a dropout mask, dp holds the gradient of the dropped probabilities: times the mask.
      ...g(mask), ...op.if,
      ...vecLoop(v.j, v.end4, [...at(dp, v), ...at(dp, v), ...op.v128Load(), ...at(mask, v), ...op.v128Load(), ...op.f32x4Mul, ...op.v128Store()]),
      ...op.end,
      // dot = sum_j p dp (p is 0 past the diagonal).
      ...op.v128Const0, ...op.set(acc),
      ...vecLoop(v.j, v.end4, [...g(acc), ...at(p, v), ...op.v128Load(), ...at(dp, v), ...op.v128Load(), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc)]),
      ...hReduce(acc, op.f32Add), ...op.f32x4Splat, ...op.set(acc),
      // dp = p * (dp - dot) * scale
      ...vecLoop(v.j, v.end4, [
        ...at(p, v), ...op.v128Load(), ...op.set(pv),
        ...at(dp, v), ...g(pv), ...at(dp, v), ...op.v128Load(), ...g(acc), ...op.f32x4Sub, ...op.f32x4Mul,
        ...g(scale), ...op.f32x4Splat, ...op.f32x4Mul, ...op.v128Store(),
      ]),
    ];
  });
}

/** `mask` and `pd`: 0, or a dropout mask (0 or 1/keep) and where p * mask goes. */
export type SoftmaxCausalFn = (heads: number, T: number, p: number, scale: number, mask: number, pd: number) => void;
/** `mask`: 0, or the forward's dropout mask (dp is then the gradient of p * mask). */
export type SoftmaxCausalGradFn = (heads: number, T: number, p: number, dp: number, scale: number, mask: number) => void;

/** The two functions, for the module the GEMM's threads run (gemmModule.ts), which exports them. */
export function causalSoftmaxFuncs(): FuncDef[] {
  return [{ name: 'softmaxCausal', ...buildSoftmax() }, { name: 'softmaxCausalGrad', ...buildSoftmaxGrad() }];
}
