/**
 * graft's Exp (wasm and cpu) against Math.exp rounded to float32, the stock kernels, and the IEEE
 * special cases. Serial: the active backend and kernel registry are process-global.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { graftKernelNames, registerGraftKernels } from '../../../core/backend/index.ts';
import { initBackends, liveCounts, prng, run, type Variant } from './helpers.ts';
import { expInto } from '../../../core/backend/kernels/Exp.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

const FLT_MIN = 2 ** -126;
/** The smallest float32 subnormal: the spacing of all subnormals. */
const DENORM = 2 ** -149;

/** Float32 ulps between `a` and `b` (both finite): spacing of the binade of the larger. */
function ulps(a: number, b: number): number {
  const m = Math.max(Math.abs(a), Math.abs(b));
  const spacing = m < FLT_MIN ? DENORM : 2 ** (Math.floor(Math.log2(m)) - 23);
  return Math.abs(a - b) / spacing;
}

/** Random float32 arguments covering overflow, underflow and subnormal results, plus a grid. */
function inputs(): Float32Array {
  const rand = prng(71);
  const xs: number[] = [];
  for (let i = 0; i < 20000; i++) xs.push(-110 + rand() * 205); // [-110, 95]
  for (let i = 0; i < 5000; i++) xs.push((rand() * 2 - 1) * 2); // around 0, the softmax range
  for (let i = -1000; i <= 1000; i++) xs.push(i * 1e-3);
  for (let i = 0; i <= 400; i++) xs.push(-104.5 + i * 0.005); // the subnormal end
  for (let i = 0; i <= 200; i++) xs.push(88.6 + i * 0.001); // the overflow edge
  return Float32Array.from(xs);
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 88.72283, 88.72284, 88.8, 89, 1e30, -87.33655, -87.33656,
  -103.27893, -103.97208, -103.9721, -104, -1e30, 1e-30, -1e-30, 1e-45, Math.LN2, -Math.LN2, 0.5 * Math.LN2];

/** Max ulps of `got` from the reference, requiring specials/zeros/infinities to match exactly. */
function checkAgainst(t: ExecutionContext, xs: Float32Array, got: number[], ref: number[], what: string): number {
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const a = got[i];
    const e = ref[i];
    if (!Number.isFinite(e) || e === 0 || !Number.isFinite(a) || a === 0) {
      // NaN, Infinity and exact 0 must agree exactly, except 0 vs the smallest subnormal at the
      // rounding boundary, which is one subnormal ulp.
      if (Object.is(a, e) || Math.abs(a - e) <= DENORM) continue;
      t.fail(`${what}: exp(${xs[i]}) = ${a}, expected ${e}`);
      return Infinity;
    }
    worst = Math.max(worst, ulps(a, e));
  }
  return worst;
}

for (const backend of ['wasm', 'cpu'] as const) {
  test.serial(`Exp on ${backend}: within 1 float32 ulp of Math.exp, exact specials, and stock`, async t => {
    const xs = Float32Array.from([...SPECIALS, ...inputs()]);
    const f = () => tf.exp(tf.tensor1d(xs));
    const got = (await run(`${backend}-graft` as Variant, f)).values;
    const exact = Array.from(xs, x => Math.fround(Math.exp(x)));
    const vsExact = checkAgainst(t, xs, got, exact, 'vs Math.exp');
    t.true(vsExact <= 1, `max ${vsExact} ulp from Math.exp`);
    // Relative error 1 ulp <= 2^-23 for normal results.
    let maxRel = 0;
    for (let i = 0; i < xs.length; i++) {
      if (exact[i] >= FLT_MIN && Number.isFinite(exact[i])) maxRel = Math.max(maxRel, Math.abs(got[i] - exact[i]) / exact[i]);
    }
    t.true(maxRel <= 1.2e-7, `max relative error ${maxRel}`);
    const stock = (await run(`${backend}-stock` as Variant, f)).values;
    const vsStock = checkAgainst(t, xs, got, stock, 'vs stock');
    t.true(vsStock <= 2, `max ${vsStock} ulp from stock ${backend}`);
    const at = (x: number) => got[SPECIALS.findIndex(s => Object.is(s, x))];
    t.is(at(0), 1);
    t.is(at(-0), 1);
    t.is(at(Infinity), Infinity);
    t.is(at(-Infinity), 0);
    t.true(Number.isNaN(at(NaN)));
    t.is(at(89), Infinity);
    t.is(at(-104), 0);
    t.is(at(-1e30), 0);
    t.is(at(1e30), Infinity);
    t.is(at(-103.27893), DENORM, 'smallest subnormal');
    t.log(`${backend}: max ${vsExact} ulp vs Math.exp (max rel ${maxRel.toExponential(2)} on normal results), ${vsStock} ulp vs stock`);
  });

  test.serial(`Exp on ${backend}: int32 input falls back to stock; shapes and empty tensors`, async t => {
    const ints = () => tf.exp(tf.tensor2d([[0, 1, -2], [3, 5, -80]], [2, 3], 'int32'));
    const got = await run(`${backend}-graft` as Variant, ints);
    const stock = await run(`${backend}-stock` as Variant, ints);
    t.deepEqual(got, stock);
    const shaped = await run(`${backend}-graft` as Variant, () => tf.exp(tf.fill([2, 3, 4], -1)));
    t.deepEqual(shaped.shape, [2, 3, 4]);
    t.deepEqual(shaped.values, new Array(24).fill(Math.fround(Math.exp(-1))));
    const empty = await run(`${backend}-graft` as Variant, () => tf.exp(tf.zeros([0, 3])));
    t.deepEqual(empty.shape, [0, 3]);
  });
}

test.serial('Exp is a fast kernel: on by default, off with fastKernels:false, leaks nothing', async t => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await tf.setBackend(backend);
    registerGraftKernels(backend, { fastKernels: false });
    t.false(graftKernelNames(backend).includes('Exp'));
    registerGraftKernels(backend, { fastKernels: true });
    t.true(graftKernelNames(backend).includes('Exp'));
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    tf.exp(x).dispose();
    const before = liveCounts();
    for (let i = 0; i < 5; i++) tf.exp(x).dispose();
    for (let i = 0; i < 5; i++) tf.tidy(() => { tf.exp(x); });
    t.deepEqual(liveCounts(), before, `${backend} leaked`);
    x.dispose();
  }
  registerGraftKernels('wasm', { fastKernels: true });
});

test.serial('Exp on wasm (SIMD, expModule.ts) is bit-identical to the JavaScript loop (expInto) over every magnitude', async t => {
  // inputs() plus 2^17 + 3 float32 bit patterns of every exponent and sign (the scalar tail runs),
  // and the specials.
  const rand = prng(72);
  const bits = new Uint32Array((1 << 17) + 3);
  for (let i = 0; i < bits.length; i++) bits[i] = ((rand() < 0.5 ? 1 : 0) << 31 | Math.floor(rand() * 255) << 23 | Math.floor(rand() * (1 << 23))) >>> 0;
  const xs = Float32Array.from([...inputs(), ...new Float32Array(bits.buffer), 0, -0, Infinity, -Infinity, NaN, 88.8, -104, 1e-45, -1e-45]);
  const want = new Float32Array(xs.length);
  expInto(xs, want, xs.length);
  const got = await run('wasm-graft', () => tf.exp(tf.tensor(xs)));
  const a = new Uint32Array(Float32Array.from(got.values).buffer);
  const b = new Uint32Array(want.buffer);
  let diff = -1;
  for (let i = 0; i < a.length && diff < 0; i++) if (a[i] !== b[i] && !(Number.isNaN(want[i]) && Number.isNaN(got.values[i]!))) diff = i;
  t.is(diff, -1, diff < 0 ? '' : `x = ${xs[diff]}: wasm ${got.values[diff]}, JavaScript ${want[diff]}`);
});
