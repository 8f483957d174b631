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
import { F32, I32, op, V128, type Bytes, type FuncDef, type ValType, localsAfter } from './wasmEncoder.ts';

const f32 = op.f32Const;
const splat = op.f32x4Const;
const simd = op.simd;
const F32X4_MAX = simd(0xe9);
const F32X4_GT = simd(0x44);
/** Pseudo-maximum: b if a < b, else a (no NaN or signed-zero rules: one maxps). */
const F32X4_PMAX = simd(0xeb);
const I32X4_ADD = simd(0xae);
const I32X4_SHL = simd(0xab);
const V128_AND = simd(0x4e);
const I32X4_SPLAT = simd(0x11);
const F32_MAX = [0x97];

const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Below this (after the max shift) e^x is returned as exactly 0. */
const EXP_MIN = -87.3;
/** 1.5 * 2^23: x + MAGIC rounds x to an integer held in the low mantissa bits. */
const MAGIC = 12582912;
const PAST_DIAGONAL = -3e38;

/** Locals of one vector's e^x: input x, scratch n (and n + MAGIC: nb) and r, result e (all v128). */
interface ExpVars { x: number; n: number; nb: number; r: number; e: number }

/**
 * e^x for several vectors at once (`vs`), their statements interleaved so the CPU overlaps the
 * vectors' dependency chains: each statement for every vector, then the next. The result is in
 * each one's `e`; the operations per lane are the same for any number of vectors.
 */
function expVecs(vs: ExpVars[]): Bytes {
  const g = op.get;
  const statements: ((v: ExpVars) => Bytes)[] = [
    // Clamp first so the reduction stays finite; lanes below EXP_MIN are masked to 0 at the end.
    // pmax: one instruction where f32x4.max's NaN and -0 rules take several (a NaN x stays NaN).
    v => [...g(v.x), ...splat(-88), ...F32X4_PMAX, ...op.set(v.r)],
    // n = nearest(r log2 e) by the magic-number trick: adding 1.5 * 2^23 rounds to an integer
    // (ties to even, as f32x4.nearest), whose bits then hold n in their low bits (n_bits).
    v => [...g(v.r), ...splat(LOG2E), ...op.f32x4Mul, ...splat(MAGIC), ...op.f32x4Add, ...op.tee(v.nb), ...splat(MAGIC), ...op.f32x4Sub, ...op.set(v.n)],
    v => [...g(v.r), ...g(v.n), ...splat(LN2_HI), ...op.f32x4Mul, ...op.f32x4Sub, ...g(v.n), ...splat(LN2_LO), ...op.f32x4Mul, ...op.f32x4Sub, ...op.set(v.r)],
    // Horner: ((((p0 r + p1) r + p2) r + p3) r + p4) r + p5, then * r^2 + r + 1.
    v => [...splat(EXP_P[0]!), ...g(v.r), ...op.f32x4Mul, ...splat(EXP_P[1]!), ...op.f32x4Add, ...op.set(v.e)],
    ...EXP_P.slice(2).map(c => (v: ExpVars) => [...g(v.e), ...g(v.r), ...op.f32x4Mul, ...splat(c), ...op.f32x4Add, ...op.set(v.e)]),
    v => [...g(v.e), ...g(v.r), ...op.f32x4Mul, ...g(v.r), ...op.f32x4Mul, ...g(v.r), ...op.f32x4Add, ...splat(1), ...op.f32x4Add, ...op.set(v.e)],
    // Times 2^n: (n + 127) << 23 as float bits.
    v => [...g(v.e), ...g(v.nb), ...op.i32(127), ...I32X4_SPLAT, ...I32X4_ADD, ...op.i32(23), ...I32X4_SHL, ...op.f32x4Mul, ...op.set(v.e)],
    v => [...g(v.e), ...g(v.x), ...splat(EXP_MIN), ...F32X4_GT, ...V128_AND, ...op.set(v.e)],
  ];
  return statements.flatMap(st => vs.flatMap(st));
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
  return [...op.i32(0), ...op.set(j), ...vecLoopFrom(j, end4, 1, body)];
}

/** while (j + 16 * vectors <= end4) { body; j += 16 * vectors } (j and end4 in bytes, j as it is). */
function vecLoopFrom(j: number, end4: number, vectors: number, body: Bytes): Bytes {
  const g = op.get;
  return [
    ...op.block, ...op.loop,
    ...g(j), ...op.i32(16 * vectors), ...op.i32Add, ...g(end4), ...op.i32GtS, ...op.brIf(1),
    ...body,
    ...g(j), ...op.i32(16 * vectors), ...op.i32Add, ...op.set(j), ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/**
 * Vectors a step of the softmax's exponential pass, their statements interleaved (at least 4: the
 * max pass uses four of their locals). 64 heads of 128 x 128 on one thread: 1.75 ms with one
 * vector a step, f32x4.max/nearest/trunc_sat in the exp and a max pass with one running maximum;
 * 0.94 ms with 8 vectors, pmax and the magic-number rounding, and four running maxima.
 */
const EXP_UNROLL = 8;

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
  const { locals, local } = localsAfter(params);
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
      // Zero stores, not memory.fill: a bulk-memory call per row cost more than the stores.
      ...g(v.end4), ...op.set(v.j), ...vecLoopFrom(v.j, rowBytes, 1, [...at(z, v), ...op.v128Const0, ...op.v128Store()]),
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
    const sv = local(V128);
    const mv = local(V128);
    const mx = local(F32);
    const k = local(I32);
    const vars = (): ExpVars => ({ x: local(V128), n: local(V128), nb: local(V128), r: local(V128), e: local(V128) });
    const lanes = Array.from({ length: EXP_UNROLL }, vars);
    /** e = exp(scale * s - max) of `vs` vectors from byte j on, stored in p and added to acc in order. */
    const expPass = (vs: ExpVars[]): Bytes => [
      ...vs.flatMap((w, u) => [...at(p, v), ...op.v128Load(16 * u), ...g(sv), ...op.f32x4Mul, ...g(mv), ...op.f32x4Sub, ...op.set(w.x)]),
      ...expVecs(vs),
      ...vs.flatMap((w, u) => [...at(p, v), ...g(w.e), ...op.v128Store(16 * u), ...g(acc), ...g(w.e), ...op.f32x4Add, ...op.set(acc)]),
    ];
    return [
      ...g(scale), ...op.f32x4Splat, ...op.set(sv),
      // The elements after the diagonal in the row's last vector: PAST_DIAGONAL.
      ...g(v.end4), ...op.i32(2), ...op.i32ShrU, ...op.set(k),
      ...op.block, ...op.loop,
      ...g(k), ...op.i32(1), ...op.i32Sub, ...op.tee(k), ...g(v.i), ...op.i32LeS, ...op.brIf(1),
      ...g(p), ...g(v.base), ...op.i32Add, ...g(k), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...f32(PAST_DIAGONAL), ...op.f32Store(),
      ...op.br(0),
      ...op.end, ...op.end,
      // Pass 1: the row's max (scaled after: scale > 0), four running maxima (f32x4.max: a NaN
      // score makes the row NaN), four vectors a step, then one.
      ...lanes.flatMap(w => [...splat(PAST_DIAGONAL), ...op.set(w.e)]),
      ...op.i32(0), ...op.set(v.j),
      ...vecLoopFrom(v.j, v.end4, 4, lanes.slice(0, 4).flatMap((w, u) => [...at(p, v), ...op.v128Load(16 * u), ...g(w.e), ...F32X4_MAX, ...op.set(w.e)])),
      ...vecLoopFrom(v.j, v.end4, 1, [...at(p, v), ...op.v128Load(), ...g(lanes[0]!.e), ...F32X4_MAX, ...op.set(lanes[0]!.e)]),
      ...g(lanes[0]!.e), ...g(lanes[1]!.e), ...F32X4_MAX, ...g(lanes[2]!.e), ...g(lanes[3]!.e), ...F32X4_MAX, ...F32X4_MAX, ...op.set(acc),
      ...hReduce(acc, F32_MAX), ...g(scale), ...op.f32Mul, ...op.tee(mx), ...op.f32x4Splat, ...op.set(mv),
      // Pass 2: e = exp(scale * s - max), stored and summed: EXP_UNROLL vectors a step, then one.
      ...op.v128Const0, ...op.set(acc),
      ...op.i32(0), ...op.set(v.j),
      ...vecLoopFrom(v.j, v.end4, EXP_UNROLL, expPass(lanes)),
      ...vecLoopFrom(v.j, v.end4, 1, expPass(lanes.slice(0, 1))),
      // Pass 3: times 1 / sum; with a dropout mask also pd = p * mask.
      ...f32(1), ...hReduce(acc, op.f32Add), ...op.f32Div, ...op.f32x4Splat, ...op.set(acc),
      ...g(mask), ...op.if,
      ...vecLoop(v.j, v.end4, [
        ...at(p, v), ...at(p, v), ...op.v128Load(), ...g(acc), ...op.f32x4Mul, ...op.tee(lanes[0]!.e), ...op.v128Store(),
        ...at(pd, v), ...g(lanes[0]!.e), ...at(mask, v), ...op.v128Load(), ...op.f32x4Mul, ...op.v128Store(),
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
