/**
 * The fused LSTM's element-wise functions in wasm SIMD (core/backend/kernels/lstmModule.ts,
 * `lstmCell` and `lstmCellGrad`) against float64 references: the gates σ and tanh within 1
 * float32 ulp of the exact value (Math.exp, Math.tanh) from 1e-40 to 1e30 in magnitude, both
 * signs, with zeros, subnormals, ±Infinity and NaN; the cell, hidden state and gradient within
 * float32 rounding of the same formulas in float64; the vector and one-element paths, several rows
 * and the first step (no c_{t-1}). On a memory of its own (the module as the kernels instantiate it).
 */
import test from 'ava';
import { gemmModuleOn } from '../../../core/backend/kernels/gemmModule.ts';
import { prng } from './helpers.ts';

const wasmApi = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
const memory = new wasmApi.Memory({ initial: 1024 }); // 64 MiB
const mod = gemmModuleOn(memory);

/** Copies of `arrays` in the memory, one after another: their byte offsets (never 0). */
function place(...arrays: Float32Array[]): number[] {
  let top = 64;
  return arrays.map(a => {
    const p = top;
    new Float32Array(memory.buffer, p, a.length).set(a);
    top += (a.length * 4 + 63) & ~63;
    return p;
  });
}
const read = (p: number, n: number): Float32Array => new Float32Array(memory.buffer, p, n).slice();

/** The float32 spacing at |x| (x a float64). */
function ulpOf(x: number): number {
  const a = Math.abs(x);
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** lstmCell on [rows, 4H] pre-activations (and c_{t-1}, or none: the first step): activated gates, c, h. */
function cell(rows: number, H: number, x: Float32Array, cPrev: Float32Array | null) {
  const n = rows * H;
  const [gp, pp, cp, hp] = place(x, cPrev ?? new Float32Array(n), new Float32Array(n).fill(NaN), new Float32Array(n).fill(NaN));
  mod.lstmCell(rows, H, gp!, cPrev ? pp! : 0, cp!, hp!);
  return { acts: read(gp!, 4 * n), c: read(cp!, n), h: read(hp!, n) };
}

/** The gates of `xs` (each as i, f, g and o of one cell row): max ulps from the exact σ / tanh, NaNs and specials checked by `check`. */
function gateErrors(xs: Float32Array): { sig: number; sigAt: number; tanh: number; tanhAt: number; bad: string[] } {
  const H = xs.length;
  const x = new Float32Array(4 * H);
  for (let q = 0; q < 4; q++) x.set(xs, q * H);
  const { acts } = cell(1, H, x, null);
  const out = { sig: 0, sigAt: NaN, tanh: 0, tanhAt: NaN, bad: [] as string[] };
  for (let j = 0; j < H; j++) {
    const v = xs[j]!;
    for (const q of [0, 1, 3]) {
      const got = acts[q * H + j]!;
      const want = sigmoid(v);
      if (Number.isNaN(want) || Number.isNaN(got)) {
        if (!(Number.isNaN(want) && Number.isNaN(got))) out.bad.push(`σ(${v}) = ${got}, want ${want}`);
        continue;
      }
      const u = Math.abs(got - want) / ulpOf(want);
      if (u > out.sig) { out.sig = u; out.sigAt = v; }
    }
    const got = acts[2 * H + j]!;
    const want = Math.tanh(v);
    if (Number.isNaN(want) || Number.isNaN(got)) {
      if (!(Number.isNaN(want) && Number.isNaN(got))) out.bad.push(`tanh(${v}) = ${got}, want ${want}`);
      continue;
    }
    const u = Math.abs(got - want) / ulpOf(want);
    if (u > out.tanh) { out.tanh = u; out.tanhAt = v; }
  }
  return out;
}

/** Float32 inputs of every magnitude from 1e-40 to 1e30, both signs, plus a dense range around the gates' working values. */
function inputs(seed: number, n: number): Float32Array {
  const rand = prng(seed);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = rand() < 0.5 ? 10 ** (rand() * 70 - 40) : rand() * 40;
    xs.push(Math.fround(rand() < 0.5 ? -m : m));
  }
  // Around tanh's reduction boundaries (2x = ±ln2/2, ±3ln2/2) and σ's underflow into subnormals.
  for (let i = -2000; i <= 2000; i++) xs.push(Math.fround(0.1733 * (1 + i * 1e-5)), Math.fround(-0.1733 * (1 + i * 1e-5)), Math.fround(0.5199 * (1 + i * 1e-5)));
  for (let i = 0; i <= 2000; i++) xs.push(Math.fround(-80 - i * 0.015));
  return Float32Array.from(xs);
}

const SPECIALS = [0, -0, 1e-45, -1e-45, 2 ** -126, -(2 ** -126), 1e-20, -1e-20, 0.25, -0.25, 1, -1, 9, -9, 17, -17, 60, -60,
  88.72, -88.72, 103, -103, 104, -104, 119.9, -119.9, 120, -120, 121, -121, 1e30, -1e30, 3.4028234663852886e38, -3.4028234663852886e38,
  Infinity, -Infinity, NaN];

test('gates: σ and tanh within 1 float32 ulp of the exact values over 70 decades, both signs (vector and one-element paths)', (t) => {
  const list = [...SPECIALS, ...inputs(7, 1 << 17)];
  // An odd count, so the last value takes the one-element path.
  if (list.length % 2 === 0) list.push(-0.75);
  const xs = Float32Array.from(list);
  const r = gateErrors(xs);
  t.deepEqual(r.bad, []);
  t.log(`worst: σ ${r.sig.toFixed(3)} ulp (x = ${r.sigAt}), tanh ${r.tanh.toFixed(3)} ulp (x = ${r.tanhAt})`);
  t.true(r.sig <= 1, `σ: ${r.sig} ulps at x = ${r.sigAt}`);
  t.true(r.tanh <= 1, `tanh: ${r.tanh} ulps at x = ${r.tanhAt}`);
});

test('gates at the edges: exact limits, odd tanh, NaN through, tiny arguments kept (no cancellation)', (t) => {
  const xs = Float32Array.from([0, -0, Infinity, -Infinity, NaN, 200, -200, 1e-30, -1e-30, 1e-45, 0.7, -0.7]);
  const H = xs.length;
  const x = new Float32Array(4 * H);
  for (let q = 0; q < 4; q++) x.set(xs, q * H);
  const { acts } = cell(1, H, x, null);
  const s = (j: number) => acts[j]!;
  const th = (j: number) => acts[2 * H + j]!;
  t.is(s(0), 0.5);
  t.is(th(0), 0);
  t.is(th(1), 0, 'tanh(-0) is a zero (+0)');
  t.is(s(2), 1);
  t.is(s(3), 0);
  t.is(th(2), 1);
  t.is(th(3), -1);
  t.true(Number.isNaN(s(4)) && Number.isNaN(th(4)) && Number.isNaN(acts[H + 4]!) && Number.isNaN(acts[3 * H + 4]!));
  t.is(s(5), 1);
  t.is(s(6), 0);
  t.is(th(5), 1);
  t.is(th(6), -1);
  t.is(th(7), Math.fround(1e-30));
  t.is(th(8), Math.fround(-1e-30));
  t.is(th(9), Math.fround(1e-45));
  t.is(s(7), 0.5);
  t.is(th(11), -th(10));
});

/** c and h of a few rows against float64 (gates from Math.exp / Math.tanh, c rounded to float32 before tanh). */
function checkCell(t: import('ava').ExecutionContext, rows: number, H: number, seed: number, first: boolean): void {
  const rand = prng(seed);
  const n = rows * H;
  const x = Float32Array.from({ length: 4 * n }, () => (rand() * 2 - 1) * 6);
  const cPrev = Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 3);
  const { acts, c, h } = cell(rows, H, x, first ? null : cPrev);
  let worstC = 0;
  let worstH = 0;
  let worstGate = 0;
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < H; j++) {
      const r = 4 * H * b;
      const [i, f, g, o] = [sigmoid(x[r + j]!), sigmoid(x[r + H + j]!), Math.tanh(x[r + 2 * H + j]!), sigmoid(x[r + 3 * H + j]!)];
      [i, f, g, o].forEach((want, q) => { worstGate = Math.max(worstGate, Math.abs(acts[r + q * H + j]! - want) / ulpOf(want)); });
      const k = b * H + j;
      const fc = first ? 0 : f * cPrev[k]!;
      const want = fc + i * g;
      // Rounding of c, plus the gates' float64 errors (< 3e-8 relative) where f c_{t-1} and i g cancel.
      const errC = Math.abs(c[k]! - want) / (ulpOf(want) + 3e-8 * (Math.abs(fc) + Math.abs(i * g)));
      worstC = Math.max(worstC, errC);
      worstH = Math.max(worstH, Math.abs(h[k]! - o * Math.tanh(c[k]!)) / ulpOf(o * Math.tanh(c[k]!)));
    }
  }
  t.true(worstGate <= 1, `gates: ${worstGate} ulps`);
  t.true(worstC <= 1, `c: ${worstC}`);
  t.true(worstH <= 1.5, `h: ${worstH} ulps`);
}

for (const [rows, H] of [[3, 13], [16, 128], [2, 1], [5, 64]] as const) {
  test(`cell [${rows} rows, H ${H}]: c = f c_{t-1} + i g and h = o tanh(c) within float32 rounding, and at the first step`, (t) => {
    checkCell(t, rows, H, rows * 1000 + H, false);
    checkCell(t, rows, H, rows * 1000 + H + 1, true);
  });
}

/** lstmCellGrad against the same formulas in float64 (tanh by Math.tanh), on float32 inputs. */
function checkGrad(t: import('ava').ExecutionContext, rows: number, H: number, seed: number, first: boolean): void {
  const rand = prng(seed);
  const n = rows * H;
  const u = (s: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);
  const acts = Float32Array.from({ length: 4 * n }, (_, k) => Math.fround(Math.floor(k / H) % 4 === 2 ? rand() * 2 - 1 : rand()));
  const [c, cPrev, dy, dh, dc] = [u(4), u(4), u(1), u(1), u(1)];
  const [ap, cp, pp, yp, hp, dcp, dgp] = place(acts, c, cPrev, dy, dh, dc, new Float32Array(4 * n).fill(NaN));
  mod.lstmCellGrad(rows, H, ap!, cp!, first ? 0 : pp!, yp!, hp!, dcp!, dgp!);
  const dg = read(dgp!, 4 * n);
  const dcOut = read(dcp!, n);
  let worst = 0;
  let what = '';
  /** |got - want| against float32 rounding plus 1e-7 of `scale` (the terms' magnitudes: tanh's float64 error where they cancel). */
  const check = (name: string, got: number, want: number, scale: number): void => {
    const e = Math.abs(got - want) / (ulpOf(want) + 1e-7 * scale);
    if (!(e <= worst)) { worst = e; what = `${name}: ${got} vs ${want}`; }
  };
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < H; j++) {
      const r = 4 * H * b;
      const k = b * H + j;
      const [i, f, g, o] = [acts[r + j]!, acts[r + H + j]!, acts[r + 2 * H + j]!, acts[r + 3 * H + j]!];
      const tc = Math.tanh(c[k]!);
      const dhk = dy[k]! + dh[k]!;
      const dck = dc[k]! + dhk * o * (1 - tc * tc);
      const dcScale = Math.abs(dc[k]!) + Math.abs(dhk * o);
      check('di', dg[r + j]!, dck * g * i * (1 - i), dcScale * Math.abs(g * i * (1 - i)));
      if (first) t.is(dg[r + H + j], 0);
      else check('df', dg[r + H + j]!, dck * cPrev[k]! * f * (1 - f), dcScale * Math.abs(cPrev[k]! * f * (1 - f)));
      check('dg', dg[r + 2 * H + j]!, dck * i * (1 - g * g), dcScale * Math.abs(i * (1 - g * g)));
      check('do', dg[r + 3 * H + j]!, dhk * tc * o * (1 - o), Math.abs(dhk * o * (1 - o)));
      check('dc carry', dcOut[k]!, dck * f, dcScale * f);
    }
  }
  t.true(worst <= 1, `worst ${worst} (${what})`);
}

for (const [rows, H] of [[3, 13], [16, 128], [2, 1], [4, 9]] as const) {
  test(`gradient [${rows} rows, H ${H}]: dgates and the dc carry equal the float64 formulas within float32 rounding, and at the first step`, (t) => {
    checkGrad(t, rows, H, rows * 77 + H, false);
    checkGrad(t, rows, H, rows * 77 + H + 1, true);
  });
}

test('NaN propagates: a NaN pre-activation makes its gate, c and h NaN; a NaN dy makes the dgates NaN (not the first step\'s df)', (t) => {
  const H = 6;
  const x = new Float32Array(4 * H).fill(0.3);
  x[1] = NaN; // i
  x[2 * H + 3] = NaN; // g
  x[3 * H + 5] = NaN; // o
  const { acts, c, h } = cell(1, H, x, new Float32Array(H).fill(1));
  t.true(Number.isNaN(acts[1]!) && Number.isNaN(acts[2 * H + 3]!) && Number.isNaN(acts[3 * H + 5]!));
  t.deepEqual([...c].map(Number.isNaN), [false, true, false, true, false, false]);
  t.deepEqual([...h].map(Number.isNaN), [false, true, false, true, false, true]);
  const dy = new Float32Array(H).fill(0.1);
  dy[2] = NaN;
  for (const first of [false, true]) {
    const [ap, cp, pp, yp, hp, dcp, dgp] = place(new Float32Array(4 * H).fill(0.5), new Float32Array(H).fill(0.2), new Float32Array(H).fill(0.4), dy, new Float32Array(H), new Float32Array(H), new Float32Array(4 * H));
    mod.lstmCellGrad(1, H, ap!, cp!, first ? 0 : pp!, yp!, hp!, dcp!, dgp!);
    const dg = read(dgp!, 4 * H);
    t.deepEqual([0, 1, 2, 3].map(q => Number.isNaN(dg[q * H + 2]!)), [true, !first, true, true]);
    t.deepEqual([0, 1, 2, 3].map(q => Number.isNaN(dg[q * H + 1]!)), [false, false, false, false]);
    t.true(Number.isNaN(read(dcp!, H)[2]!));
  }
});
