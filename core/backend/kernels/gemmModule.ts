/**
 * A strided f32 GEMM in WebAssembly SIMD, generated at startup and instantiated on the wasm
 * backend's own memory, so it reads and writes tensors in place.
 *
 *   gemm(M, N, K, a, sam, sak, b, sbk, c, scm, accumulate, ranges)
 *   C[m, n] (+)= sum_k A[m, k] * B[k, n]
 *
 * Pointers and strides are in bytes. A has any row and column strides (a transposed A costs
 * nothing: its elements are broadcast one at a time); B and C rows are contiguous along n.
 *
 * Why: XNNPACK's fully-connected operator, the fast path of tfjs-backend-wasm, packs its right
 * operand on every call with a new tensor, at ~10-20 ns per element (measured). Training always
 * has new tensors, and in the backward pass the packed operand (a [tokens, width] gradient, or one
 * attention head) is as large as the work is small: packing cost about as much as the products.
 * This kernel needs no packing and no transposes of A.
 *
 * Numerics: each output is one running sum in increasing k, started from 0, or from C when
 * accumulating; blocking over k (the caller passes `accumulate` for later blocks) does not change
 * it. Where the CPU fuses a multiply-add (the default there, see relaxedSimd.ts) the vector tiles
 * add a*b with one rounding (`f32x4.relaxed_madd`); scalar column tails always round twice. Without
 * it (GRAFT_WASM_FMA=0, or a CPU without FMA) acc = acc + a*b rounds twice, which is the order and
 * rounding of XNNPACK's f32 GEMM micro-kernels (bit-identical to them).
 *
 * Tiles: 4 rows x 8 columns (8 f32x4 accumulators; V8 keeps them all in registers and the inner
 * loop is 28 instructions for 64 flops), then 1-row tiles for the remaining rows; columns go 8, 4,
 * then 1 at a time (scalar). Measured 17-25 GFLOP/s here, L1-resident or blocked; 6x8, 4x12, 5x8,
 * 3x12 and 2x16 tiles were within 10% of it, 8x4 30% slower (`GemmTiling` keeps them measurable).
 */
import { encodeModule, F32, I32, op, V128, type Bytes, type FuncDef, type ValType, localsAfter } from './wasmEncoder.ts';
import { perMemory, instantiateOn } from './moduleOnMemory.ts';
import { relaxedSimd } from './relaxedSimd.ts';
import { causalSoftmaxFuncs, type SoftmaxCausalFn, type SoftmaxCausalGradFn } from './causalSoftmaxModule.ts';
import { geluFuncs, type GeluFn, type GeluGradFn } from './geluModule.ts';
import { expFuncs, type ExpFn } from './expModule.ts';
import { lstmFuncs, type LstmCellFn, type LstmCellGradFn } from './lstmModule.ts';

/** Parameter indices of `gemm`. */
const P = { M: 0, N: 1, K: 2, a: 3, sam: 4, sak: 5, b: 6, sbk: 7, c: 8, scm: 9, acc: 10, ranges: 11 };
const PARAMS: ValType[] = new Array<ValType>(12).fill(I32);

export interface GemmTiling {
  /** Rows of the main tile. */
  mr: number;
  /** f32x4 vectors per main tile row (columns = 4 * nvec). */
  nvec: number;
  /** Relaxed SIMD multiply-add in the vector tiles (see relaxedSimd.ts); default: as `relaxedSimd()` decides. */
  fma?: boolean;
}

function buildGemm({ mr: MR, nvec: NV, fma = false }: GemmTiling): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const { locals, local } = localsAfter(PARAMS);
  const n0 = local(I32);
  const m0 = local(I32);
  const kk = local(I32);
  const bp = local(I32);
  const cp = local(I32);
  const ap = Array.from({ length: MR }, () => local(I32));
  const cv = Array.from({ length: MR * NV }, () => local(V128));
  const av = local(V128);
  const bv = Array.from({ length: NV }, () => local(V128));
  const cs = Array.from({ length: MR }, () => local(F32));
  const as = local(F32);
  const bs = local(F32);
  const klo = local(I32);
  const khi = local(I32);
  const t = local(I32);
  const g = op.get;

  /** Address of C row i of the tile: cp + i * scm. */
  const cRow = (i: number): Bytes => (i === 0 ? g(cp) : [...g(cp), ...g(P.scm), ...op.i32(i), ...op.i32Mul, ...op.i32Add]);

  /** One mr x nr tile at (m0, n0) over all of K (K > 0). nr is a multiple of 4, or 1 (scalar). */
  function tile(mr: number, nr: number): Bytes {
    const scalar = nr === 1;
    const cols = scalar ? 1 : nr / 4;
    const acc = (i: number, j: number) => (scalar ? cs[i]! : cv[i * NV + j]!);
    const out: Bytes = [];
    // k range of the tile: all of K, or the union of its rows' ranges of non-zero A (see `ranges`).
    out.push(...op.i32(0), ...op.set(klo), ...g(P.K), ...op.set(khi));
    out.push(...g(P.ranges), ...op.if);
    out.push(...g(P.K), ...op.set(klo), ...op.i32(0), ...op.set(khi));
    for (let i = 0; i < mr; i++) {
      const row: Bytes = [...g(P.ranges), ...g(m0), ...(i > 0 ? [...op.i32(i), ...op.i32Add] : []), ...op.i32(3), ...op.i32Shl, ...op.i32Add];
      out.push(...row, ...op.i32Load(), ...op.tee(t), ...g(klo), ...g(t), ...g(klo), ...op.i32LtS, ...op.select, ...op.set(klo));
      out.push(...row, ...op.i32Load(4), ...op.tee(t), ...g(khi), ...g(t), ...g(khi), ...op.i32GtS, ...op.select, ...op.set(khi));
    }
    out.push(...op.end);
    for (let i = 0; i < mr; i++) {
      out.push(...g(P.a), ...g(m0));
      if (i > 0) out.push(...op.i32(i), ...op.i32Add);
      out.push(...g(P.sam), ...op.i32Mul, ...op.i32Add, ...g(klo), ...g(P.sak), ...op.i32Mul, ...op.i32Add, ...op.set(ap[i]!));
    }
    out.push(...g(P.b), ...g(n0), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...g(klo), ...g(P.sbk), ...op.i32Mul, ...op.i32Add, ...op.set(bp));
    out.push(...g(P.c), ...g(m0), ...g(P.scm), ...op.i32Mul, ...op.i32Add, ...g(n0), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(cp));
    // Accumulators start from C (accumulate) or zero. (A third start, from a bias row, made V8
    // allocate the k loop's registers worse: 44-46 -> 40 GFLOP/s; `biasRows` writes C instead.)
    out.push(...g(P.acc), ...op.if);
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < cols; j++) out.push(...cRow(i), ...(scalar ? op.f32Load() : op.v128Load(16 * j)), ...op.set(acc(i, j)));
    }
    out.push(...op.else);
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < cols; j++) out.push(...(scalar ? op.f32Const0 : op.v128Const0), ...op.set(acc(i, j)));
    }
    out.push(...op.end);
    out.push(...g(khi), ...g(klo), ...op.i32Sub, ...op.tee(kk), ...op.i32(0), ...op.i32GtS, ...op.if);
    out.push(...op.loop);
    if (scalar) out.push(...g(bp), ...op.f32Load(), ...op.set(bs));
    else for (let j = 0; j < cols; j++) out.push(...g(bp), ...op.v128Load(16 * j), ...op.set(bv[j]!));
    // Row by row: one broadcast A element, used at once (few live registers).
    for (let i = 0; i < mr; i++) {
      out.push(...g(ap[i]!), ...(scalar ? op.f32Load() : op.v128Load32Splat()), ...op.set(scalar ? as : av));
      for (let j = 0; j < cols; j++) {
        if (scalar) out.push(...g(acc(i, j)), ...g(as), ...g(bs), ...op.f32Mul, ...op.f32Add, ...op.set(acc(i, j)));
        else if (fma) out.push(...g(av), ...g(bv[j]!), ...g(acc(i, j)), ...op.f32x4RelaxedMadd, ...op.set(acc(i, j)));
        else out.push(...g(acc(i, j)), ...g(av), ...g(bv[j]!), ...op.f32x4Mul, ...op.f32x4Add, ...op.set(acc(i, j)));
      }
    }
    for (let i = 0; i < mr; i++) out.push(...g(ap[i]!), ...g(P.sak), ...op.i32Add, ...op.set(ap[i]!));
    out.push(...g(bp), ...g(P.sbk), ...op.i32Add, ...op.set(bp));
    out.push(...g(kk), ...op.i32(1), ...op.i32Sub, ...op.tee(kk), ...op.brIf(0), ...op.end, ...op.end);
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < cols; j++) out.push(...cRow(i), ...g(acc(i, j)), ...(scalar ? op.f32Store() : op.v128Store(16 * j)));
    }
    return out;
  }

  /** All rows for column panels of width nr, while a whole panel fits. */
  function panels(nr: number): Bytes {
    return [
      ...op.block, ...op.loop,
      ...g(n0), ...op.i32(nr), ...op.i32Add, ...g(P.N), ...op.i32GtS, ...op.brIf(1),
      ...op.i32(0), ...op.set(m0),
      ...op.block, ...op.loop,
      ...g(m0), ...op.i32(MR), ...op.i32Add, ...g(P.M), ...op.i32GtS, ...op.brIf(1),
      ...tile(MR, nr),
      ...g(m0), ...op.i32(MR), ...op.i32Add, ...op.set(m0), ...op.br(0),
      ...op.end, ...op.end,
      ...op.block, ...op.loop,
      ...g(m0), ...g(P.M), ...op.i32GeS, ...op.brIf(1),
      ...tile(1, nr),
      ...g(m0), ...op.i32(1), ...op.i32Add, ...op.set(m0), ...op.br(0),
      ...op.end, ...op.end,
      ...g(n0), ...op.i32(nr), ...op.i32Add, ...op.set(n0), ...op.br(0),
      ...op.end, ...op.end,
    ];
  }

  const widths: number[] = [];
  for (let v = NV; v >= 1; v--) widths.push(4 * v);
  widths.push(1);
  const body: Bytes = [
    // Nothing to do without rows or a shared dimension (the caller handles K = 0).
    ...g(P.M), ...op.i32(1), ...op.i32LtS, ...g(P.K), ...op.i32(1), ...op.i32LtS, 0x72 /* i32.or */, ...op.if, 0x0f /* return */, ...op.end,
    ...op.i32(0), ...op.set(n0),
    ...widths.flatMap(panels),
  ];
  return { params: PARAMS, locals, body };
}

const TILING: GemmTiling = { mr: 4, nvec: 2 };

/** The default tiling, with FMA as relaxedSimd() decides (once, before the first compile). */
export function defaultTiling(): GemmTiling {
  return { ...TILING, fma: relaxedSimd().fma };
}

/**
 * transpose(batch, rows, cols, src, dst, dstStride, srcStride): dst[b][c][r] = src[b][r][c] (byte
 * pointers, 32-bit elements copied as bit patterns; dst rows `dstStride` >= rows elements apart,
 * batches cols * dstStride; src rows `srcStride` >= cols apart, batches rows * srcStride), in 4x4
 * blocks of four 16-byte loads, eight shuffles and four stores; edges one element at a time. For a
 * transposed B operand of the GEMM, or a column range of a wider matrix (attention's keys).
 */
function buildTranspose(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32];
  const [batch, rows, cols, src, dst, dstStride, srcStride] = [0, 1, 2, 3, 4, 5, 6];
  const { locals, local } = localsAfter(params);
  const r = local(I32);
  const c = local(I32);
  const sp = local(I32);
  const dp = local(I32);
  const left = local(I32);
  const v = Array.from({ length: 4 }, () => local(V128));
  const t = Array.from({ length: 4 }, () => local(V128));
  const g = op.get;
  const mul = (x: number, y: number): Bytes => [...g(x), ...g(y), ...op.i32Mul];
  /** `base` + 4 * (x * y + z), into `to`. */
  const addr = (to: number, base: number, x: number, y: number, z: number): Bytes =>
    [...g(base), ...mul(x, y), ...g(z), ...op.i32Add, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(to)];
  /** A row stride of `n` elements times `i`, in bytes, added to the address on the stack. */
  const plusRows = (n: number, i: number): Bytes => (i === 0 ? [] : [...g(n), ...op.i32(4 * i), ...op.i32Mul, ...op.i32Add]);
  /** dst[c*dstStride + r + i] = src[(r + i)*srcStride + c]. */
  const scalarCopy = (i: number): Bytes => [
    ...addr(dp, dst, c, dstStride, r), ...g(dp), ...op.i32(4 * i), ...op.i32Add,
    ...addr(sp, src, r, srcStride, c), ...g(sp), ...plusRows(srcStride, i), ...op.i32Load(),
    ...op.i32Store(),
  ];
  const whileLt = (x: number, limit: Bytes, body: Bytes): Bytes => [
    ...op.block, ...op.loop, ...g(x), ...limit, ...op.i32GeS, ...op.brIf(1), ...body, ...op.br(0), ...op.end, ...op.end,
  ];
  const inc = (x: number, by: number): Bytes => [...g(x), ...op.i32(by), ...op.i32Add, ...op.set(x)];
  const block4x4: Bytes = [
    ...addr(sp, src, r, srcStride, c),
    ...[0, 1, 2, 3].flatMap(i => [...g(sp), ...plusRows(srcStride, i), ...op.v128Load(), ...op.set(v[i]!)]),
    ...g(v[0]!), ...g(v[1]!), ...op.shuffle32([0, 4, 1, 5]), ...op.set(t[0]!),
    ...g(v[0]!), ...g(v[1]!), ...op.shuffle32([2, 6, 3, 7]), ...op.set(t[1]!),
    ...g(v[2]!), ...g(v[3]!), ...op.shuffle32([0, 4, 1, 5]), ...op.set(t[2]!),
    ...g(v[2]!), ...g(v[3]!), ...op.shuffle32([2, 6, 3, 7]), ...op.set(t[3]!),
    ...addr(dp, dst, c, dstStride, r),
    ...g(dp), ...g(t[0]!), ...g(t[2]!), ...op.shuffle32([0, 1, 4, 5]), ...op.v128Store(),
    ...g(dp), ...plusRows(dstStride, 1), ...g(t[0]!), ...g(t[2]!), ...op.shuffle32([2, 3, 6, 7]), ...op.v128Store(),
    ...g(dp), ...plusRows(dstStride, 2), ...g(t[1]!), ...g(t[3]!), ...op.shuffle32([0, 1, 4, 5]), ...op.v128Store(),
    ...g(dp), ...plusRows(dstStride, 3), ...g(t[1]!), ...g(t[3]!), ...op.shuffle32([2, 3, 6, 7]), ...op.v128Store(),
  ];
  const minus3 = (x: number): Bytes => [...g(x), ...op.i32(3), ...op.i32Sub];
  const body: Bytes = [
    ...g(batch), ...op.i32(1), ...op.i32LtS, ...op.if, 0x0f /* return */, ...op.end,
    ...g(batch), ...op.set(left),
    ...op.loop,
    ...op.i32(0), ...op.set(r),
    // Rows in fours: 4x4 blocks, then the last columns one by one.
    ...whileLt(r, minus3(rows), [
      ...op.i32(0), ...op.set(c),
      ...whileLt(c, minus3(cols), [...block4x4, ...inc(c, 4)]),
      ...whileLt(c, g(cols), [...scalarCopy(0), ...scalarCopy(1), ...scalarCopy(2), ...scalarCopy(3), ...inc(c, 1)]),
      ...inc(r, 4),
    ]),
    // The last rows one by one.
    ...whileLt(r, g(rows), [
      ...op.i32(0), ...op.set(c),
      ...whileLt(c, g(cols), [...scalarCopy(0), ...inc(c, 1)]),
      ...inc(r, 1),
    ]),
    ...g(src), ...mul(rows, srcStride), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(src),
    ...g(dst), ...mul(dstStride, cols), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(dst),
    ...g(left), ...op.i32(1), ...op.i32Sub, ...op.tee(left), ...op.brIf(0),
    ...op.end,
  ];
  return { params, locals, body };
}

/**
 * rowRanges(M, K, a, sam, sak, out): for each row m of A (strides as gemm's), out[2m] / out[2m+1]
 * = the first / one past the last k with a non-zero A[m, k] (bit pattern, so -0 counts as zero);
 * K / 0 for a row of zeros. gemm's `ranges` argument.
 *
 * allFinite(n, p): 1 when none of n float32s at p is an infinity or NaN.
 */
function buildRowRanges(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, I32, I32, I32, I32, I32];
  const [M, K, a, sam, sak, out] = [0, 1, 2, 3, 4, 5];
  const { locals, local } = localsAfter(params);
  const m = local(I32);
  const row = local(I32);
  const lo = local(I32);
  const hi = local(I32);
  const g = op.get;
  /** Non-zero test of A[m, k] for k in local `k` (row start in `row`). */
  const nonZero = (k: number): Bytes => [...g(row), ...g(k), ...g(sak), ...op.i32Mul, ...op.i32Add, ...op.i32Load(), ...op.i32(0x7fffffff), ...op.i32And];
  // Forward from 0 to the first non-zero, backward from K-1 to the last: each stops at the first
  // non-zero it meets, so a triangular A costs about half its elements, a dense one almost none.
  const body: Bytes = [
    ...op.i32(0), ...op.set(m),
    ...op.block, ...op.loop,
    ...g(m), ...g(M), ...op.i32GeS, ...op.brIf(1),
    ...g(a), ...g(m), ...g(sam), ...op.i32Mul, ...op.i32Add, ...op.set(row),
    ...op.i32(0), ...op.set(lo),
    ...op.block, ...op.loop,
    ...g(lo), ...g(K), ...op.i32GeS, ...op.brIf(1),
    ...nonZero(lo), ...op.brIf(1),
    ...g(lo), ...op.i32(1), ...op.i32Add, ...op.set(lo), ...op.br(0),
    ...op.end, ...op.end,
    ...g(K), ...op.set(hi),
    ...op.block, ...op.loop,
    ...g(hi), ...g(lo), ...op.i32LeS, ...op.brIf(1),
    ...g(hi), ...op.i32(1), ...op.i32Sub, ...op.set(hi),
    ...nonZero(hi), ...op.if, ...g(hi), ...op.i32(1), ...op.i32Add, ...op.set(hi), ...op.br(2), ...op.end,
    ...op.br(0),
    ...op.end, ...op.end,
    // A row of zeros: lo = K (from the forward scan) and hi = 0 (the backward scan ran down to lo... set it).
    ...g(lo), ...g(K), ...op.i32GeS, ...op.if, ...op.i32(0), ...op.set(hi), ...op.end,
    ...g(out), ...g(m), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...g(lo), ...op.i32Store(),
    ...g(out), ...g(m), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...g(hi), ...op.i32Store(4),
    ...g(m), ...op.i32(1), ...op.i32Add, ...op.set(m), ...op.br(0),
    ...op.end, ...op.end,
  ];
  return { params, locals, body };
}

function buildAllFinite(): { params: ValType[]; locals: ValType[]; body: Bytes; results: ValType[] } {
  const params: ValType[] = [I32, I32];
  const [n, ptr] = [0, 1];
  const g = op.get;
  const body: Bytes = [
    ...op.block, ...op.loop,
    ...g(n), ...op.i32(1), ...op.i32LtS, ...op.brIf(1),
    ...g(ptr), ...op.i32Load(), ...op.i32(0x7f800000), ...op.i32And, ...op.i32(0x7f800000), ...op.i32Eq, ...op.if,
    ...op.i32(0), ...op.return,
    ...op.end,
    ...g(ptr), ...op.i32(4), ...op.i32Add, ...op.set(ptr),
    ...g(n), ...op.i32(1), ...op.i32Sub, ...op.set(n), ...op.br(0),
    ...op.end, ...op.end,
    ...op.i32(1),
  ];
  return { params, locals: [], body, results: [I32] };
}

/**
 * biasRows(rows, n, bias, c, scm): each of `rows` rows of C (scm bytes apart) = the n float32s at
 * `bias` (a dense layer's output before the GEMM accumulates the product onto it), 4 at a time.
 */
function buildBiasRows(): FuncDef {
  const params: ValType[] = [I32, I32, I32, I32, I32];
  const [rows, n, bias, c, scm] = [0, 1, 2, 3, 4];
  const { locals, local } = localsAfter(params);
  const r = local(I32);
  const j = local(I32);
  const end4 = local(I32);
  const end = local(I32);
  const g = op.get;
  const loop = (x: number, limit: number, by: number, body: Bytes): Bytes => [
    ...op.block, ...op.loop, ...g(x), ...g(limit), ...op.i32GeS, ...op.brIf(1), ...body,
    ...g(x), ...op.i32(by), ...op.i32Add, ...op.set(x), ...op.br(0), ...op.end, ...op.end,
  ];
  const copy = (load: Bytes, store: Bytes): Bytes => [...g(c), ...g(j), ...op.i32Add, ...g(bias), ...g(j), ...op.i32Add, ...load, ...store];
  return {
    name: 'biasRows', params, locals,
    body: [
      ...g(n), ...op.i32(2), ...op.i32Shl, ...op.set(end),
      ...g(n), ...op.i32(-4), ...op.i32And, ...op.i32(2), ...op.i32Shl, ...op.set(end4),
      ...op.i32(0), ...op.set(r),
      ...loop(r, rows, 1, [
        ...op.i32(0), ...op.set(j),
        ...loop(j, end4, 16, copy(op.v128Load(), op.v128Store())),
        ...loop(j, end, 4, copy(op.f32Load(), op.f32Store())),
        ...g(c), ...g(scm), ...op.i32Add, ...op.set(c),
      ]),
    ],
  };
}

export type BiasRowsFn = (rows: number, n: number, bias: number, c: number, scm: number) => void;

export type RowRangesFn = (m: number, k: number, a: number, sam: number, sak: number, out: number) => void;
export type AllFiniteFn = (n: number, p: number) => number;

export type TransposeFn = (batch: number, rows: number, cols: number, src: number, dst: number, dstStride: number, srcStride: number) => void;

/** `ranges`: 0, or per-row k ranges of non-zero A from rowRanges (only for K within one block). */
export type GemmFn = (m: number, n: number, k: number, a: number, sam: number, sak: number,
  b: number, sbk: number, c: number, scm: number, accumulate: number, ranges?: number) => void;

/** The module's bytes for an unshared (single-threaded build) or shared (threaded build) memory. */
export function gemmModuleBytes(sharedMemory: boolean, tiling: GemmTiling = defaultTiling()): Uint8Array {
  return encodeModule([
    { name: 'gemm', ...buildGemm(tiling) }, { name: 'transpose', ...buildTranspose() },
    { name: 'rowRanges', ...buildRowRanges() }, { name: 'allFinite', ...buildAllFinite() }, buildBiasRows(),
    ...causalSoftmaxFuncs(), ...geluFuncs(), ...expFuncs(), ...lstmFuncs(),
  ], sharedMemory);
}

export interface GemmModule {
  gemm: GemmFn;
  transpose: TransposeFn;
  rowRanges: RowRangesFn;
  allFinite: AllFiniteFn;
  biasRows: BiasRowsFn;
  softmaxCausal: SoftmaxCausalFn;
  softmaxCausalGrad: SoftmaxCausalGradFn;
  gelu: GeluFn;
  geluGrad: GeluGradFn;
  exp: ExpFn;
  lstmCell: LstmCellFn;
  lstmCellGrad: LstmCellGradFn;
  /** All of them by name (the thread pool's table, gemmThreads.ts). */
  exports: Record<string, unknown>;
}

function pickGemm(exports: Record<string, unknown>): GemmModule {
  return {
    gemm: exports['gemm'] as GemmFn, transpose: exports['transpose'] as TransposeFn,
    rowRanges: exports['rowRanges'] as RowRangesFn, allFinite: exports['allFinite'] as AllFiniteFn, biasRows: exports['biasRows'] as BiasRowsFn,
    softmaxCausal: exports['softmaxCausal'] as SoftmaxCausalFn, softmaxCausalGrad: exports['softmaxCausalGrad'] as SoftmaxCausalGradFn,
    gelu: exports['gelu'] as GeluFn, geluGrad: exports['geluGrad'] as GeluGradFn, exp: exports['exp'] as ExpFn,
    lstmCell: exports['lstmCell'] as LstmCellFn, lstmCellGrad: exports['lstmCellGrad'] as LstmCellGradFn, exports,
  };
}

const defaultGemmOn = perMemory((shared) => gemmModuleBytes(shared), pickGemm);

/** The module instantiated on `memory` (a WebAssembly.Memory): once per memory at the default tiling, afresh for another. */
export function gemmModuleOn(memory: { buffer: ArrayBufferLike }, tiling?: GemmTiling): GemmModule {
  return tiling ? pickGemm(instantiateOn(memory, (shared) => gemmModuleBytes(shared, tiling))) : defaultGemmOn(memory);
}

/** `gemm` instantiated on `memory`. */
export function gemmOn(memory: { buffer: ArrayBufferLike }, tiling?: GemmTiling): GemmFn {
  return gemmModuleOn(memory, tiling).gemm;
}

/**
 * Cache blocking: k in blocks of KC, n in blocks of NC, so a KC x NC block of B (128 KiB) stays in
 * L2 while all row tiles pass over it, and one KC x 8 panel (4 KiB) in L1. Measured on 2048-deep
 * products: 11-13 GFLOP/s unblocked, 16-19 blocked; shallow ones (K = 128) are unaffected.
 */
export const KC = 128;
const NC = 256;

/**
 * C[M, N] (+)= A[M, K] B[K, N] for byte offsets and strides as `gemm`'s (B and C rows contiguous),
 * K > 0, in cache blocks; with `accumulate` the sums start from C's values.
 */
export function gemmBlocked(gemm: GemmFn, m: number, n: number, k: number, a: number, sam: number, sak: number,
  b: number, sbk: number, c: number, scm: number, accumulate = false, ranges = 0): void {
  // Row ranges are absolute k indices: they apply to a single k-block only.
  if (k > KC) ranges = 0;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = k - k0 < KC ? k - k0 : KC;
    for (let n0 = 0; n0 < n; n0 += NC) {
      gemm(m, n - n0 < NC ? n - n0 : NC, kc, a + k0 * sak, sam, sak, b + k0 * sbk + n0 * 4, sbk, c + n0 * 4, scm, k0 > 0 || accumulate ? 1 : 0, ranges);
    }
  }
}
