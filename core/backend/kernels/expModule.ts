/**
 * exp(n, x, y): y = e^x for n float32s in WebAssembly SIMD, two float64 lanes at a time, with the
 * float64 operations of `expInto` (Exp.ts) in its order, so the results are bit-identical to it:
 * x = k ln2 + r (k = floor(x log2e + 160.5) - 160), e^r by Estrin's grouping of the degree-7
 * Taylor polynomial, times 2^k built in the exponent bits (the table's value exactly), rounded
 * once to float32; above EXP_HI Infinity, below EXP_LO (and -Infinity) 0, NaN passed through.
 * A function of the module graft's GEMM threads instantiate (gemmModule.ts), so large tensors are
 * shared out in chunks (kernels/Exp.ts). Its float64 core without the range checks (`expF64`,
 * also e^x - 1) is the LSTM cell's exponential (lstmModule.ts).
 */
import { elementLoops, F64, I32, op, uleb, V128, type Bytes, type FuncDef, type ValType, localsAfter } from './wasmEncoder.ts';

export const EXP_LOG2E = 1.4426950408889634;
export const EXP_LN2 = 0.6931471805599453;
/** Above this float32 exp is Infinity (ln(FLT_MAX) = 88.7228; the table still covers up to here). */
export const EXP_HI = 88.8;
/** Below this float32 exp rounds to 0 (exp(-104) < 2^-150, half the smallest subnormal). */
export const EXP_LO = -104;
/** Offset of 2^0 in the table of powers: k runs from -150 (x = LO) to 128 (x = HI). */
export const EXP_BIAS = 160;

const simd = op.simd;
/** i8x16.shuffle of two vectors by byte indices (0-15 the first, 16-31 the second). */
const shuffle = (bytes: number[]): Bytes => [0xfd, ...uleb(0x0d), ...bytes];
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
/** 2^52 + 1023 - EXP_BIAS: added to j (an integer), leaves j - BIAS + 1023 in the low mantissa bits. */
const POW2_MAGIC = 2 ** 52 + 1023 - EXP_BIAS;

/** Emits float64 code: `local` allocates a local of the function being built; `vec` for f64x2 lanes (else one f64); `k` a constant. */
export interface F64Code {
  local: (t: ValType) => number;
  vec: boolean;
  /** A constant (both lanes); default inline `f64x2.const` / `f64.const`. */
  k?: (v: number) => Bytes;
}

/**
 * Code setting local y to e^v of local v (float64 lanes): `exp`'s reduction and polynomial without
 * its checks, so only for v in [-700, 700] (2^k's exponent bits stay in range) or NaN (which
 * propagates through the arithmetic); relative error < 7.3e-9 (the polynomial's truncation). With
 * `minus1`, e^v - 1 as 2^k q + (2^k - 1), q = e^r - 1 (the polynomial without its 1): no
 * cancellation near 0 (k = 0 gives q itself), relative error < 2.5e-8 (the same truncation
 * against |e^v - 1|).
 */
export function expF64(code: F64Code, v: number, y: number, minus1 = false): Bytes {
  return expF64Steps(code, v, y, minus1).flat();
}

/** `expF64` as its statements, each setting one local, in order (to interleave independent ones). */
export function expF64Steps({ local, vec, k = vec ? op.f64x2Const : op.f64Const }: F64Code, v: number, y: number, minus1 = false): Bytes[] {
  const T = vec ? V128 : F64;
  const [j, r, r2, t] = [local(T), local(T), local(T), local(T)];
  const g = op.get;
  const set = op.set;
  const add = vec ? simd(0xf0) : [0xa0];
  const sub = vec ? simd(0xf1) : [0xa1];
  const mul = vec ? simd(0xf2) : [0xa2];
  const floor = vec ? simd(0x75) : [0x9c];
  /** c0 + r c1 */
  const lin = (c0: number, c1: number): Bytes => [...k(c0), ...g(r), ...k(c1), ...mul, ...add];
  const toBits = vec ? [] : [0xbd]; // i64.reinterpret_f64
  const fromBits = vec ? [] : [0xbf]; // f64.reinterpret_i64
  const shl52 = vec ? [...op.i32(52), ...simd(0xcb)] : [0x42, 52, 0x86]; // i64x2.shl / i64.const 52, i64.shl
  // 2^(j - BIAS): (j + 2^52 + 1023 - BIAS)'s low bits shifted into the exponent.
  const pow2: Bytes = [...g(j), ...k(POW2_MAGIC), ...add, ...toBits, ...shl52, ...fromBits];
  const head: Bytes[] = [
    // j = floor(v log2e + (BIAS + 0.5)); r = v - (j - BIAS) ln2; r2 = r r
    [...g(v), ...k(EXP_LOG2E), ...mul, ...k(EXP_BIAS + 0.5), ...add, ...floor, ...set(j)],
    [...g(v), ...g(j), ...k(EXP_BIAS), ...sub, ...k(EXP_LN2), ...mul, ...sub, ...set(r)],
    [...g(r), ...g(r), ...mul, ...set(r2)],
    // t = (1/24 + r/120) + r2 (1/720 + r/5040); t = (0.5 + r/6) + r2 t
    [...lin(1 / 24, 1 / 120), ...g(r2), ...lin(1 / 720, 1 / 5040), ...mul, ...add, ...set(t)],
    [...lin(0.5, 1 / 6), ...g(r2), ...g(t), ...mul, ...add, ...set(t)],
  ];
  if (!minus1) {
    // t = (1 + r) + r2 t; y = t 2^(j - BIAS)
    return [...head, [...k(1), ...g(r), ...add, ...g(r2), ...g(t), ...mul, ...add, ...set(t)], [...g(t), ...pow2, ...mul, ...set(y)]];
  }
  // q = r + r2 t; y = p q + (p - 1), p = 2^(j - BIAS)
  const p = local(T);
  return [...head, [...g(r), ...g(r2), ...g(t), ...mul, ...add, ...set(t)], [...pow2, ...set(p)], [...g(p), ...g(t), ...mul, ...g(p), ...k(1), ...sub, ...add, ...set(y)]];
}

function buildExp(): FuncDef {
  const params: ValType[] = [I32, I32, I32];
  const [N, XP, YP] = [0, 1, 2];
  const { locals, local } = localsAfter(params);
  const off = local(I32);
  const end = local(I32);
  const g = op.get;
  const set = op.set;

  /** e^v (float64) of local v into local y: f64x2 lanes (vec) or one f64, with the checks. */
  function expOf(vec: boolean, v: number, y: number): Bytes {
    const k = vec ? op.f64x2Const : op.f64Const;
    const gt = vec ? simd(0x4a) : [0x64];
    const lt = vec ? simd(0x49) : [0x63];
    const ne = vec ? simd(0x48) : [0x62];
    /** y = cond(v) ? value : y */
    const where = (cond: Bytes, value: Bytes): Bytes => (vec
      ? [...value, ...g(y), ...g(v), ...cond, ...simd(0x52), ...set(y)]
      : [...value, ...g(y), ...g(v), ...cond, ...op.select, ...set(y)]);
    return [
      ...expF64({ local, vec }, v, y),
      // Above HI: Infinity; below LO (and -Infinity): 0; NaN: itself.
      ...where([...k(EXP_HI), ...gt], k(Infinity)),
      ...where([...k(EXP_LO), ...lt], k(0)),
      ...where([...g(v), ...ne], g(v)),
    ];
  }

  const x4 = local(V128);
  const [vlo, vhi, ylo, yhi] = [local(V128), local(V128), local(V128), local(V128)];
  const vs = local(F64);
  const ys = local(F64);
  const at = (p: number): Bytes => [...g(p), ...g(off), ...op.i32Add];
  const vecStep: Bytes = [
    ...at(XP), ...op.v128Load(), ...op.tee(x4), ...op.f64x2PromoteLowF32x4, ...set(vlo),
    ...g(x4), ...g(x4), ...shuffle(range(8, 8).concat(range(8, 8))), ...op.f64x2PromoteLowF32x4, ...set(vhi),
    ...expOf(true, vlo, ylo),
    ...expOf(true, vhi, yhi),
    // f32x4.demote_f64x2_zero of each half, then lanes 0-1 of both.
    ...at(YP), ...g(ylo), ...simd(0x5e), ...g(yhi), ...simd(0x5e), ...shuffle([...range(0, 8), ...range(16, 8)]), ...op.v128Store(),
  ];
  const scalarStep: Bytes = [
    ...at(XP), ...op.f32Load(), ...op.f64PromoteF32, ...set(vs),
    ...expOf(false, vs, ys),
    ...at(YP), ...g(ys), ...op.f32DemoteF64, ...op.f32Store(),
  ];
  const body: Bytes = [
    ...g(N), ...op.i32(2), ...op.i32Shl, ...set(end),
    ...elementLoops(off, end, [{ elements: 4, body: vecStep }, { elements: 1, body: scalarStep }]),
  ];
  return { name: 'exp', params, locals, body };
}

export type ExpFn = (n: number, x: number, y: number) => void;

/** The module function (gemmModule.ts puts it in the module its threads share). */
export function expFuncs(): FuncDef[] {
  return [buildExp()];
}
