/**
 * GELU (tanh form, as GPT-2, written with a sigmoid: see core/nn/layers.ts) in WebAssembly SIMD,
 * functions of the module graft's GEMM threads instantiate (gemmModule.ts), so a large tensor is
 * cut into chunks any thread can take (kernels/Gelu.ts):
 *
 *   gelu(n, x, s, y):          z = ((x*x)*x*k1 + x) * c, s = sigmoid(z), y = x * s
 *                              k1 = 0.044715, c = 2 sqrt(2/pi)
 *   geluGrad(n, x, s, dy, dx): dx = dy * (s + x * (s*(1-s)) * (c * (1 + k3 * x*x)))   k3 = 3 k1
 *
 * Bit-identical to the tfjs ops of gelu() on wasm: z is their float32 operations in their order;
 * the sigmoid is XNNPACK's f32 sigmoid for WebAssembly SIMD (the `rr2_p5_div` micro-kernel that
 * tfjs-backend-wasm's Sigmoid runs): the same constants and the same float32 operations in the
 * same order (only correctly rounded operations, so every lane and the scalar tail agree with
 * it); y is tfjs's Multiply. One pass that reads x and writes s and y, against three kernels that
 * each read and write the whole tensor. geluGrad is the derivative from the forward's s.
 */
import { elementLoops, F32, I32, op, V128, type Bytes, type FuncDef, type ValType, localsAfter } from './wasmEncoder.ts';

export const GELU_K1 = Math.fround(0.044715);
export const GELU_C = Math.fround(Math.sqrt(2 / Math.PI) * 2);
export const GELU_K3 = Math.fround(3 * 0.044715);


/** A function over `arrays` flat float32 arrays (byte pointers after n), vector body then scalar tail. */
function elementwise(arrays: number, step: (vec: boolean, at: (a: number) => Bytes, k: (v: number) => Bytes) => Bytes): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, ...new Array<ValType>(arrays).fill(I32)];
  const { locals, local } = localsAfter(params);
  const off = local(I32);
  const end = local(I32);
  const g = op.get;
  const at = (a: number): Bytes => [...g(1 + a), ...g(off), ...op.i32Add];
  const body: Bytes = [
    ...g(0), ...op.i32(2), ...op.i32Shl, ...op.set(end),
    ...elementLoops(off, end, [
      { elements: 4, body: step(true, at, op.f32x4Const) },
      { elements: 1, body: step(false, at, op.f32Const) },
    ]),
  ];
  return { params, locals, body };
}

function ops(vec: boolean) {
  return {
    load: vec ? op.v128Load() : op.f32Load(),
    store: vec ? op.v128Store() : op.f32Store(),
    mul: vec ? op.f32x4Mul : op.f32Mul,
    add: vec ? op.f32x4Add : op.f32Add,
    sub: vec ? op.f32x4Sub : op.f32Sub,
  };
}

/** XNNPACK's rr2_p5 sigmoid constants (xnn_init_f32_sigmoid_wasmsimd_rr2_p5_params), each exactly a float32. */
const SIG = {
  /** 0x1.8000fep23 */ magicBias: 12583039.0,
  /** -0x1.715476p+0 */ minusLog2e: -1.4426950216293335,
  /** 0x1.62e4p-1 */ ln2Hi: 0.693145751953125,
  /** 0x1.7f7d1cp-20 */ ln2Lo: 1.428606765330187e-06,
  /** -0x1.0f9f9cp-7 */ c5: -0.008289290592074394,
  /** 0x1.573a1ap-5 */ c4: 0.04189782217144966,
  /** -0x1.555a8p-3 */ c3: -0.16667652130126953,
  /** 0x1.fffdc6p-2 */ c2: 0.4999915063381195,
  /** -0x1.fffff6p-1 */ c1: -0.9999997019767761,
  /** 0x1.5d589ep+6 */ denormCutoff: 87.33654022216797,
};

const simd = op.simd;

/**
 * gelu(n, x, s, y). Per element (a lane, or the scalar tail with the same operations):
 * sigmoid(z) as XNNPACK computes it: e = exp(-|z|) by a two-constant reduction and a degree-5
 * polynomial, f = e / (e + 1), 0 past the denormal cutoff, then f for z < 0 (sign bit) and 1 - f
 * otherwise.
 */
/**
 * Vectors per iteration of the main loop, their operations interleaved: one vector at a time ran
 * at 1.9 ms on [2048, 512] (one thread), four at 1.27, eight at 1.13 (XNNPACK's Sigmoid alone:
 * 1.05; GeluPre, Sigmoid and Multiply: 1.57).
 */
const UNROLL = 8;

function buildGelu(): { params: ValType[]; locals: ValType[]; body: Bytes } {
  const params: ValType[] = [I32, I32, I32, I32];
  const [N, XP, SP, YP] = [0, 1, 2, 3];
  const { locals, local } = localsAfter(params);
  const off = local(I32);
  const end = local(I32);
  const g = op.get;
  const set = op.set;
  const consts = new Map<number, number>();
  const vconst = (v: number): number => {
    let l = consts.get(v);
    if (l === undefined) consts.set(v, (l = local(V128)));
    return l;
  };
  /** `lanes` vectors (or one scalar) from byte `off` on, their operations interleaved. */
  function step(vec: boolean, lanes: number): Bytes {
    const T = vec ? V128 : F32;
    const vars = () => Array.from({ length: lanes }, () => local(T));
    const [x, z, za, n, sc, t, p, e, f] = [vars(), vars(), vars(), vars(), vars(), vars(), vars(), vars(), vars()] as number[][];
    // Vector constants from locals set once before the loops (as XNNPACK keeps them in registers).
    const k = (v: number): Bytes => (vec ? g(vconst(v)) : op.f32Const(v));
    const mul = vec ? op.f32x4Mul : op.f32Mul;
    const add = vec ? op.f32x4Add : op.f32Add;
    const sub = vec ? op.f32x4Sub : op.f32Sub;
    const div = vec ? op.f32x4Div : op.f32Div;
    const abs = vec ? simd(0xe0) : [0x8b];
    const load = (u: number) => (vec ? op.v128Load(16 * u) : op.f32Load());
    const store = (u: number) => (vec ? op.v128Store(16 * u) : op.f32Store());
    const at = (a: number): Bytes => [...g(a), ...g(off), ...op.i32Add];
    const out: Bytes = [];
    /** One statement for each of the lanes in turn. */
    const each = (stmt: (u: number) => Bytes): void => {
      for (let u = 0; u < lanes; u++) out.push(...stmt(u));
    };
    each(u => [...at(XP), ...load(u), ...set(x[u]!)]);
    // z = ((x*x)*x*k1 + x) * c: the ops' order (IEEE addition commutes).
    each(u => [...g(x[u]!), ...g(x[u]!), ...mul, ...g(x[u]!), ...mul, ...k(GELU_K1), ...mul, ...g(x[u]!), ...add, ...k(GELU_C), ...mul, ...set(z[u]!)]);
    each(u => [...g(z[u]!), ...abs, ...set(za[u]!)]);
    // n = magic + |z| * (-log2 e); sc = 2^n from n's low bits; n -= magic.
    each(u => [...k(SIG.magicBias), ...g(za[u]!), ...k(SIG.minusLog2e), ...mul, ...add, ...set(n[u]!)]);
    if (vec) each(u => [...g(n[u]!), ...op.i32(23), ...simd(0xab) /* i32x4.shl */, ...set(sc[u]!)]);
    else each(u => [...g(n[u]!), 0xbc /* i32.reinterpret_f32 */, ...op.i32(23), ...op.i32Shl, 0xbe /* f32.reinterpret_i32 */, ...set(sc[u]!)]);
    each(u => [...g(n[u]!), ...k(SIG.magicBias), ...sub, ...set(n[u]!)]);
    // t = |z| + n ln2_hi, then t + n ln2_lo.
    each(u => [...g(za[u]!), ...g(n[u]!), ...k(SIG.ln2Hi), ...mul, ...add, ...set(t[u]!)]);
    each(u => [...g(t[u]!), ...g(n[u]!), ...k(SIG.ln2Lo), ...mul, ...add, ...set(t[u]!)]);
    // p = c4 + t c5, then c3 + t p, c2 + t p, c1 + t p.
    each(u => [...k(SIG.c4), ...g(t[u]!), ...k(SIG.c5), ...mul, ...add, ...set(p[u]!)]);
    for (const c of [SIG.c3, SIG.c2, SIG.c1]) each(u => [...k(c), ...g(t[u]!), ...g(p[u]!), ...mul, ...add, ...set(p[u]!)]);
    // t *= sc; e = sc + t p; f = e / (e + 1).
    each(u => [...g(t[u]!), ...g(sc[u]!), ...mul, ...set(t[u]!)]);
    each(u => [...g(sc[u]!), ...g(t[u]!), ...g(p[u]!), ...mul, ...add, ...set(e[u]!)]);
    each(u => [...g(e[u]!), ...g(e[u]!), ...k(1), ...add, ...div, ...set(f[u]!)]);
    if (vec) {
      // f = 0 where |z| > cutoff; then f where z's sign bit is set, else 1 - f.
      each(u => [...g(f[u]!), ...g(za[u]!), ...k(SIG.denormCutoff), ...simd(0x44) /* f32x4.gt */, ...simd(0x4f) /* v128.andnot */, ...set(f[u]!)]);
      each(u => [...g(f[u]!), ...k(1), ...g(f[u]!), ...sub, ...g(z[u]!), ...op.i32(31), ...simd(0xac) /* i32x4.shr_s */, ...simd(0x52) /* v128.bitselect */, ...set(f[u]!)]);
    } else {
      each(u => [...op.f32Const0, ...g(f[u]!), ...g(za[u]!), ...k(SIG.denormCutoff), 0x5e /* f32.gt */, ...op.select, ...set(f[u]!)]);
      each(u => [...g(f[u]!), ...k(1), ...g(f[u]!), ...sub, ...g(z[u]!), 0xbc /* i32.reinterpret_f32 */, ...op.i32(0), ...op.i32LtS, ...op.select, ...set(f[u]!)]);
    }
    each(u => [...at(SP), ...g(f[u]!), ...store(u)]);
    each(u => [...at(YP), ...g(x[u]!), ...g(f[u]!), ...mul, ...store(u)]);
    return out;
  }
  // UNROLL vectors an iteration, then one, then scalars (the steps first: they allocate the constants).
  const stages = [
    { elements: 4 * UNROLL, body: step(true, UNROLL) },
    { elements: 4, body: step(true, 1) },
    { elements: 1, body: step(false, 1) },
  ];
  const body: Bytes = [
    ...[...consts].flatMap(([v, l]) => [...op.f32x4Const(v), ...set(l)]),
    ...g(N), ...op.i32(2), ...op.i32Shl, ...set(end),
    ...elementLoops(off, end, stages),
  ];
  return { params, locals, body };
}

function buildGrad() {
  // arrays: x, s, dy, dx
  return elementwise(4, (vec, at, k) => {
    const o = ops(vec);
    const x = [...at(0), ...o.load];
    const s = [...at(1), ...o.load];
    return [
      ...at(3),
      ...at(2), ...o.load, // dy
      ...s,
      ...x,
      ...s, ...k(1), ...s, ...o.sub, ...o.mul, // s*(1-s)
      ...k(GELU_C), ...k(1), ...k(GELU_K3), ...x, ...x, ...o.mul, ...o.mul, ...o.add, ...o.mul, // c*(1 + k3*(x*x))
      ...o.mul, // (s(1-s)) * (c(...))
      ...o.mul, // x * that
      ...o.add, // s + that
      ...o.mul, // dy * that
      ...o.store,
    ];
  });
}

export type GeluFn = (n: number, x: number, s: number, y: number) => void;
export type GeluGradFn = (n: number, x: number, s: number, dy: number, dx: number) => void;

/** The module functions (gemmModule.ts puts them in the module its threads share). */
export function geluFuncs(): FuncDef[] {
  return [{ name: 'gelu', ...buildGelu() }, { name: 'geluGrad', ...buildGrad() }];
}
