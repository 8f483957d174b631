/**
 * The fused LSTM's element-wise work of a time step (Lstm.ts) in WebAssembly SIMD, functions of
 * the module graft's GEMM instantiates (gemmModule.ts). Pointers are byte offsets in the heap:
 *
 *   lstmCell(rows, H, gates, cPrev, c, h):  gates [rows, 4H] holds the pre-activations (i, f, g, o)
 *     and gets the activations in place: i, f, o = σ, g = tanh;  c = f cPrev + i g;  h = o tanh(c)
 *     (c, h, cPrev [rows, H]; cPrev = 0 at the first step: c = i g)
 *   lstmCellGrad(rows, H, acts, c, cPrev, dy, dh, dc, dgates):  from the saved gates and cells, with
 *     dh' = dy + dh (the carry from step t+1) and dc' = dc + dh' o (1 - tanh²c):  dgates =
 *     (dc' g i(1-i), dc' cPrev f(1-f), dc' i(1-g²), dh' tanh(c) o(1-o)), and the carry dc = dc' f,
 *     written in place (cPrev = 0 at the first step: its df is 0)
 *
 * Why: as JavaScript loops over the heap (after the SIMD `exp` had taken e^{-x} for the whole step)
 * these passes cost ~1.5-2 ns an element and were most of the two kernels' time; here one pass
 * does a cell's five exponentials and its arithmetic (~11 ns a cell forward, ~4 backward).
 *
 * Numerics: float64 lanes, two cells at a time (float32 loads promoted, each result rounded once to
 * float32), the exponentials by `exp`'s float64 core (expModule.ts) on arguments clamped to
 * ±LSTM_CLAMP (the gates there are 0, ±1 or 1 in float32; NaN passes the clamp and propagates,
 * ±Infinity gives the limits). σ(x) = 1 / (1 + e^{-x}); tanh(x) = m / (2 + m), m = e^{2x} - 1
 * (`expm1`: no cancellation near 0, so no series is needed; tanh(-0) is +0). Before the rounding
 * σ is off by < 7.3e-9 relative, tanh by < 2.1e-8 (< 0.13 and < 0.36 float32 ulp), so both are
 * within 1 ulp of the exact value (measured worst 0.58 and 0.72 ulp: lstmModule.test.ts). c is
 * computed from the unrounded gates, h from the stored (float32) c, so the gradient's tanh(c) is
 * the forward's. The gradient is the float64 formulas on the stored float32 values.
 */
import { elementLoops, I32, op, uleb, V128, type Bytes, type FuncDef, type ValType, localsAfter } from './wasmEncoder.ts';
import { expF64Steps } from './expModule.ts';

/**
 * Groups of two elements an iteration of the main loop, their statements interleaved (as
 * independent chains of operations). The cell's four gates are chains enough: one group ran at
 * 11 ns a cell (B 16, H 128), two at 12, three at 15, the chains one after another 14. The gradient has one
 * exponential a cell: 5.7 ns with one group, 4.7 with two, 4.2 with four (in-process, 2026-12-06).
 */
const CELL_GROUPS = 1;
const GRAD_GROUPS = 4;

/** The exponentials' arguments (-x for σ, 2x for tanh) are clamped to ±LSTM_CLAMP: σ(-120) < 2^-150, tanh(60) rounds to 1. */
export const LSTM_CLAMP = 120;

const simd = op.simd;
const F = {
  add: simd(0xf0), sub: simd(0xf1), mul: simd(0xf2), div: simd(0xf3), neg: simd(0xed),
  /** pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a: one instruction each, a NaN a kept. */
  pmin: simd(0xf6), pmax: simd(0xf7),
};
/** Two (one) float32s at the address on the stack, promoted to float64 lanes. */
const load = (n: 1 | 2, offset = 0): Bytes => [0xfd, ...uleb(n === 2 ? 0x5d : 0x5c), 2, ...uleb(offset), ...op.f64x2PromoteLowF32x4]; // v128.load64_zero / load32_zero
/** f32x4.demote_f64x2_zero, then its low two (one) float32s stored at the address under it. */
const demote = simd(0x5e);
const storeLow = (n: 1 | 2, offset = 0): Bytes => [0xfd, ...uleb(n === 2 ? 0x5b : 0x5a), 2, ...uleb(offset), 0]; // v128.store64_lane / store32_lane, lane 0

/** Statement s of every list, for s = 0, 1, ...: independent computations' statements in turns. */
function interleave(lists: Bytes[][]): Bytes {
  const out: Bytes = [];
  const n = Math.max(...lists.map(l => l.length));
  for (let s = 0; s < n; s++) for (const l of lists) if (s < l.length) out.push(...l[s]!);
  return out;
}

/** A function's builder state: its locals, and vector constants held in locals set once on entry. */
function builder(params: ValType[]) {
  const { locals, local } = localsAfter(params);
  const consts = new Map<number, number>();
  const k = (v: number): Bytes => {
    let l = consts.get(v);
    if (l === undefined) consts.set(v, (l = local(V128)));
    return op.get(l);
  };
  const code = { local, vec: true, k };
  const v = (): number => local(V128);
  /** Sets the constants' locals: put before the body (built first, which allocates them). */
  const prologue = (): Bytes => [...consts].flatMap(([c, l]) => [...op.f64x2Const(c), ...op.set(l)]);
  /** y = σ(local x) = 1 / (1 + e^{-x}), as statements. */
  const sigmoid = (x: number, y: number): Bytes[] => {
    const [a, e] = [v(), v()];
    return [
      [...op.get(x), ...F.neg, ...k(-LSTM_CLAMP), ...F.pmax, ...k(LSTM_CLAMP), ...F.pmin, ...op.set(a)],
      ...expF64Steps(code, a, e),
      [...k(1), ...k(1), ...op.get(e), ...F.add, ...F.div, ...op.set(y)],
    ];
  };
  /** y = tanh(local x) = m / (2 + m), m = e^{2x} - 1, as statements. */
  const tanh = (x: number, y: number): Bytes[] => {
    const [a, m] = [v(), v()];
    return [
      [...op.get(x), ...k(2), ...F.mul, ...k(-LSTM_CLAMP), ...F.pmax, ...k(LSTM_CLAMP), ...F.pmin, ...op.set(a)],
      ...expF64Steps(code, a, m, true),
      [...op.get(m), ...op.get(m), ...k(2), ...F.add, ...F.div, ...op.set(y)],
    ];
  };
  return { locals, local, k, v, prologue, sigmoid, tanh };
}

/**
 * The loops over `rows` rows (param index `rowsParam`, counted down), each of `rowBytes` (local):
 * the step on two elements while they fit, then on one (the same lanes' code, loaded and stored
 * one element wide), then `next` (the row pointers advanced).
 */
function rowLoops(rowsParam: number, off: number, rowBytes: number, groups: number, step: (n: 1 | 2, pairs: number) => Bytes, next: Bytes): Bytes {
  const stages = [{ elements: 2, body: step(2, 1) }, { elements: 1, body: step(1, 1) }];
  if (groups > 1) stages.unshift({ elements: 2 * groups, body: step(2, groups) });
  const g = op.get;
  return [
    ...op.block, ...op.loop,
    ...g(rowsParam), ...op.i32(1), ...op.i32LtS, ...op.brIf(1),
    ...elementLoops(off, rowBytes, stages),
    ...next,
    ...g(rowsParam), ...op.i32(1), ...op.i32Sub, ...op.set(rowsParam), ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/** Four gate pointers (locals) from `base`, one H-row (`rowBytes`) apart. */
function gatePointers(base: number, gp: number[], rowBytes: number): Bytes {
  return gp.flatMap((p, q) => [...op.get(base), ...op.get(rowBytes), ...op.i32(q), ...op.i32Mul, ...op.i32Add, ...op.set(p)]);
}

/** `p += by` (local by) for each local in ps. */
function advance(ps: number[], by: number): Bytes {
  return ps.flatMap(p => [...op.get(p), ...op.get(by), ...op.i32Add, ...op.set(p)]);
}

function buildCell(): FuncDef {
  const params: ValType[] = [I32, I32, I32, I32, I32, I32];
  const [ROWS, H, GATES, CPREV, C, HOUT] = [0, 1, 2, 3, 4, 5];
  const b = builder(params);
  const { local, v } = b;
  const g = op.get;
  const set = op.set;
  const off = local(I32);
  const rowBytes = local(I32);
  const gateRowBytes = local(I32);
  const gp = [local(I32), local(I32), local(I32), local(I32)];
  const at = (p: number): Bytes => [...g(p), ...g(off), ...op.i32Add];

  /** `pairs` groups of n elements (group u 8u bytes on), their statements interleaved. */
  function step(n: 1 | 2, pairs: number, first: boolean): Bytes {
    const groups = Array.from({ length: pairs }, (_, u) => ({ u: 8 * u, gates: [v(), v(), v(), v()], c32: v(), x: v(), tc: v() }));
    // The gates: 4 independent chains a group.
    const out: Bytes = interleave(groups.flatMap(({ u, gates }) => gates.map((y, q) => {
      const x = v();
      return [[...at(gp[q]!), ...load(n, u), ...set(x)], ...(q === 2 ? b.tanh(x, y) : b.sigmoid(x, y)), [...at(gp[q]!), ...g(y), ...demote, ...storeLow(n, u)]];
    })));
    // c = f cPrev + i g, stored as float32; h = o tanh(c) from the stored value.
    out.push(...interleave(groups.map(({ u, gates: [i, f, gg, o], c32, x, tc }) => [
      [...at(C), ...(first ? [] : [...at(CPREV), ...load(n, u), ...g(f!), ...F.mul]), ...g(i!), ...g(gg!), ...F.mul, ...(first ? [] : F.add), ...demote, ...op.tee(c32), ...storeLow(n, u)],
      [...g(c32), ...op.f64x2PromoteLowF32x4, ...set(x)],
      ...b.tanh(x, tc),
      [...at(HOUT), ...g(o!), ...g(tc), ...F.mul, ...demote, ...storeLow(n, u)],
    ])));
    return out;
  }

  const loops = (first: boolean): Bytes => rowLoops(ROWS, off, rowBytes, CELL_GROUPS, (n, pairs) => step(n, pairs, first), [
    ...advance(gp, gateRowBytes), ...advance(first ? [C, HOUT] : [C, HOUT, CPREV], rowBytes),
  ]);
  const body = cellBody(b, H, CPREV, rowBytes, gateRowBytes, gatePointers(GATES, gp, rowBytes), loops);
  return { name: 'lstmCell', params, locals: b.locals, body };
}

function buildCellGrad(): FuncDef {
  const params: ValType[] = new Array<ValType>(9).fill(I32);
  const [ROWS, H, ACTS, C, CPREV, DY, DH, DC, DGATES] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const b = builder(params);
  const { local, v, k } = b;
  const g = op.get;
  const set = op.set;
  const off = local(I32);
  const rowBytes = local(I32);
  const gateRowBytes = local(I32);
  const ap = [local(I32), local(I32), local(I32), local(I32)];
  const dp = [local(I32), local(I32), local(I32), local(I32)];
  const at = (p: number): Bytes => [...g(p), ...g(off), ...op.i32Add];

  /** (x (1 - x)) of local x, times what is on the stack. */
  const dsig = (x: number): Bytes => [...g(x), ...F.mul, ...k(1), ...g(x), ...F.sub, ...F.mul];

  /** `pairs` groups of n elements (group u 8u bytes on), their statements interleaved. */
  function step(n: 1 | 2, pairs: number, first: boolean): Bytes {
    return interleave(Array.from({ length: pairs }, (_, group) => {
      const u = 8 * group;
      const [i, f, gg, o, c, tc, dh, dc] = [v(), v(), v(), v(), v(), v(), v(), v()];
      const store = (q: number, value: Bytes): Bytes => [...at(dp[q]!), ...value, ...demote, ...storeLow(n, u)];
      return [
        [...at(C), ...load(n, u), ...set(c)],
        ...b.tanh(c, tc),
        ...[i, f, gg, o].map((x, q) => [...at(ap[q]!), ...load(n, u), ...set(x)]),
        // dh = dy + dh_carry; dc = dc_carry + dh o (1 - tc²)
        [...at(DY), ...load(n, u), ...at(DH), ...load(n, u), ...F.add, ...set(dh)],
        [...at(DC), ...load(n, u), ...g(dh), ...g(o), ...F.mul, ...k(1), ...g(tc), ...g(tc), ...F.mul, ...F.sub, ...F.mul, ...F.add, ...set(dc)],
        store(0, [...g(dc), ...g(gg), ...F.mul, ...dsig(i)]),
        store(1, first ? k(0) : [...at(CPREV), ...load(n, u), ...g(dc), ...F.mul, ...dsig(f)]),
        store(2, [...g(dc), ...g(i), ...F.mul, ...k(1), ...g(gg), ...g(gg), ...F.mul, ...F.sub, ...F.mul]),
        store(3, [...g(dh), ...g(tc), ...F.mul, ...dsig(o)]),
        [...at(DC), ...g(dc), ...g(f), ...F.mul, ...demote, ...storeLow(n, u)],
      ];
    }));
  }

  const loops = (first: boolean): Bytes => rowLoops(ROWS, off, rowBytes, GRAD_GROUPS, (n, pairs) => step(n, pairs, first), [
    ...advance([...ap, ...dp], gateRowBytes), ...advance(first ? [C, DY, DH, DC] : [C, DY, DH, DC, CPREV], rowBytes),
  ]);
  const body = cellBody(b, H, CPREV, rowBytes, gateRowBytes, [...gatePointers(ACTS, ap, rowBytes), ...gatePointers(DGATES, dp, rowBytes)], loops);
  return { name: 'lstmCellGrad', params, locals: b.locals, body };
}

/**
 * Both functions' body: the row sizes in bytes (H floats, 4H floats), the gate pointers, then the
 * loops with c_{t-1}, or without it at the first step (cPrev = 0). The loops are built before the
 * prologue, which sets the vector constants they asked for.
 */
function cellBody(b: ReturnType<typeof builder>, H: number, CPREV: number, rowBytes: number, gateRowBytes: number, pointers: Bytes, loops: (first: boolean) => Bytes): Bytes {
  const withPrev = loops(false);
  const atFirst = loops(true);
  return [
    ...b.prologue(),
    ...op.get(H), ...op.i32(2), ...op.i32Shl, ...op.set(rowBytes),
    ...op.get(H), ...op.i32(4), ...op.i32Shl, ...op.set(gateRowBytes),
    ...pointers,
    ...op.get(CPREV), ...op.if, ...withPrev, ...op.else, ...atFirst, ...op.end,
  ];
}

export type LstmCellFn = (rows: number, H: number, gates: number, cPrev: number, c: number, h: number) => void;
export type LstmCellGradFn = (rows: number, H: number, acts: number, c: number, cPrev: number, dy: number, dh: number, dc: number, dgates: number) => void;

/** The module functions (gemmModule.ts puts them in the module its threads share). */
export function lstmFuncs(): FuncDef[] {
  return [buildCell(), buildCellGrad()];
}
