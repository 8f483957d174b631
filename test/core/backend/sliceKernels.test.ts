/**
 * graft's wasm slicing kernels (Slice, Unpack, SplitV, StridedSlice), zero-copy Identity and the
 * int32 ClipByValue fix, against the stock cpu kernels (and stock wasm where it is correct) on
 * fixed edge cases and random shapes, for float32, int32 and bool. Serial: the active backend and
 * kernel registry are process-global.
 */
import test from 'ava';
import '../../../core/runtime/registerGradients.ts'; // gradients, for the clone-gradient check
import * as tf from '@tensorflow/tfjs-core';
import {
  graftKernelNames, installedGraftKernels, registerGraftKernels, unregisterGraftKernels,
} from '../../../core/backend/index.ts';
import {
  assertClose, initBackends, liveCounts, prng, randInt, randomValues, runAll, size, type Result,
} from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
});

type Dtype = 'float32' | 'int32' | 'bool';
const DTYPES: Dtype[] = ['float32', 'int32', 'bool'];

/** Input data of a dtype; float32 includes -0, NaN and infinities to check bits are copied as is. */
function valuesOf(rand: () => number, n: number, dtype: Dtype): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor((rand() * 2 - 1) * 2 ** 31));
  const v = randomValues(rand, n, 100);
  const specials = [-0, NaN, Infinity, -Infinity];
  for (let i = 0; i < n; i += 7) v[i] = specials[(i / 7) % specials.length];
  return v;
}

/** A factory creating the same input tensor in whichever backend runs it. */
function input(rand: () => number, shape: number[], dtype: Dtype): () => tf.Tensor {
  const v = valuesOf(rand, size(shape), dtype);
  return () => tf.tensor(v, shape, dtype);
}

function assertSame(t: import('ava').ExecutionContext, got: Result, want: Result, what: string): void {
  assertClose(t, got, want, what, 0, 0);
  // -0 must stay -0 (assertClose treats it as equal to 0).
  const negZero = want.values.findIndex((v, i) => Object.is(v, -0) !== Object.is(got.values[i], -0));
  t.is(negZero, -1, `${what}: sign of zero at ${negZero}`);
}

async function compareAll(t: import('ava').ExecutionContext, f: () => tf.Tensor[], what: string, alsoStockWasm = true): Promise<void> {
  const got = await runAll('wasm-graft', f);
  const want = await runAll('cpu-stock', f);
  t.is(got.length, want.length, `${what}: number of outputs`);
  for (let i = 0; i < want.length; i++) assertSame(t, got[i], want[i], `${what} [${i}]`);
  if (alsoStockWasm) {
    const stock = await runAll('wasm-stock', f);
    for (let i = 0; i < want.length; i++) assertSame(t, got[i], stock[i], `${what} [${i}] vs stock wasm`);
  }
}

/** A random shape of rank lo..hi with dims 1..maxDim, some of them 1. */
function randomShape(rand: () => number, lo: number, hi: number, maxDim = 6): number[] {
  return Array.from({ length: randInt(rand, lo, hi) }, () => (rand() < 0.2 ? 1 : randInt(rand, 2, maxDim)));
}

// --- Slice ---------------------------------------------------------------------------------------

test.serial('Slice: contiguous, strided, short and long rows, ranks 1-6, empty and size-1 dims', async t => {
  const rand = prng(61);
  const cases: [number[], number[], number[]][] = [
    [[64, 3, 5], [17, 0, 0], [1, 3, 5]], // one time step: a contiguous range
    [[8, 40, 7], [0, 5, 0], [8, 30, 7]], // middle axis
    [[50, 64], [0, 8], [50, 48]], // rows long enough for memmove
    [[50, 64], [0, 8], [50, 5]], // short rows
    [[6, 7], [0, 3], [6, 1]], // a column: runs of one element
    [[4, 5, 6], [1, 0, 2], [3, 5, 1]],
    [[6, 7, 8, 9], [1, 2, 3, 4], [4, 3, 2, 5]], // 4-D odometer
    [[2, 3, 4, 5, 6], [1, 0, 1, 2, 0], [1, 3, 2, 3, 6]], // rank 5 (stock: generic path)
    [[2, 2, 3, 2, 3, 2], [0, 1, 0, 1, 1, 0], [2, 1, 3, 1, 2, 2]], // rank 6
    [[20], [3], [11]],
    [[5, 6], [0, 0], [5, 6]], // whole tensor
    [[5, 6], [2, 6], [3, 0]], // empty: begin at the end
    [[0, 4], [0, 1], [0, 2]], // empty input
    [[3, 0, 2], [1, 0, 0], [2, 0, 2]],
    [[1, 1, 9], [0, 0, 4], [1, 1, 5]],
    [[4, 1, 6, 1], [1, 0, 2, 0], [2, 1, 3, 1]],
  ];
  for (const [shape, begin, sz] of cases) {
    for (const dtype of DTYPES) {
      const x = input(rand, shape, dtype);
      const f = () => [tf.slice(x(), begin, sz)];
      // Stock wasm misreads empty slices of empty inputs less gracefully; cpu is the reference.
      await compareAll(t, f, `slice ${dtype} [${shape}] begin ${begin} size ${sz}`, size(shape) > 0);
    }
  }
});

test.serial('Slice: random shapes and ranges against cpu, size -1 and scalar begin', async t => {
  const rand = prng(63);
  for (let i = 0; i < 40; i++) {
    const shape = randomShape(rand, 1, 5, 7);
    const begin = shape.map(d => randInt(rand, 0, d - 1));
    const sz = shape.map((d, k) => (rand() < 0.15 ? -1 : randInt(rand, 0, d - begin[k])));
    const dtype = DTYPES[i % 3];
    const x = input(rand, shape, dtype);
    await compareAll(t, () => [tf.slice(x(), begin, sz)], `random slice ${dtype} [${shape}] ${begin} ${sz}`);
  }
  const x = input(rand, [6, 4, 3], 'float32');
  await compareAll(t, () => [tf.slice(x(), 2)], 'slice(x, 2)');
  await compareAll(t, () => [tf.slice(x(), [1, 1], [2])], 'partial begin and size');
});

test.serial('Slice: an out-of-range slice throws instead of reading other memory', async t => {
  await tf.setBackend('wasm');
  const x = tf.zeros([4, 5]);
  t.throws(() => tf.slice(x, [2, 0], [3, 5]), { message: /overflow/ });
  t.throws(() => tf.slice(x, [-2, 0], [1, 5]), { message: /non-negative|negative/ });
  x.dispose();
});

// --- Unpack --------------------------------------------------------------------------------------

test.serial('Unpack: every axis, negative axis, size-1 and size-0 axes, empty dims', async t => {
  const rand = prng(65);
  const cases: [number[], number][] = [
    [[16, 3, 5], 0], [[4, 6, 5], 1], [[4, 6, 5], 2], [[4, 6, 5], -1], [[3, 20, 8], 1],
    [[1, 3], 0], [[5, 1, 2], 1], [[0, 3], 1], [[3, 0], 0], [[2, 3, 0], 1], [[7], 0], [[2, 3, 4, 5], 2],
  ];
  for (const [shape, axis] of cases) {
    for (const dtype of DTYPES) {
      const x = input(rand, shape, dtype);
      await compareAll(t, () => tf.unstack(x(), axis), `unstack ${dtype} [${shape}] axis ${axis}`, size(shape) > 0);
    }
  }
  // Size-0 axis: no outputs at all.
  const none = await runAll('wasm-graft', () => tf.unstack(tf.zeros([2, 0, 3]), 1));
  t.is(none.length, 0);
  for (let i = 0; i < 15; i++) {
    const shape = randomShape(rand, 1, 4);
    const axis = randInt(rand, 0, shape.length - 1);
    const x = input(rand, shape, DTYPES[i % 3]);
    await compareAll(t, () => tf.unstack(x(), axis), `random unstack [${shape}] axis ${axis}`);
  }
});

// --- SplitV --------------------------------------------------------------------------------------

test.serial('SplitV: counts, sizes with -1 and 0, one piece, every axis, empty dims', async t => {
  const rand = prng(67);
  const cases: [number[], number | number[], number][] = [
    [[12, 5], 3, 0], [[4, 12, 3], [2, 7, 3], 1], [[4, 3, 12], [5, -1], 2], [[4, 3, 12], [5, -1], -1],
    [[6, 4], [0, 4, 2], 0], [[6, 4], 1, 1], [[6, 4], [4], 1], [[0, 4], 2, 1], [[4, 0], [1, 3], 0],
    [[2, 3, 64], [16, 48], 2], [[10], [1, 1, 8], 0],
  ];
  for (const [shape, splits, axis] of cases) {
    for (const dtype of DTYPES) {
      const x = input(rand, shape, dtype);
      // Fresh size arrays: tfjs resolves a -1 entry in place.
      const s = () => (Array.isArray(splits) ? splits.slice() : splits);
      await compareAll(t, () => tf.split(x(), s(), axis), `split ${dtype} [${shape}] ${splits} axis ${axis}`, size(shape) > 0);
    }
  }
  for (let i = 0; i < 15; i++) {
    const shape = randomShape(rand, 1, 4, 8);
    const axis = randInt(rand, 0, shape.length - 1);
    const sizes: number[] = [];
    for (let left = shape[axis]; left > 0;) {
      const s = randInt(rand, 1, left);
      sizes.push(s);
      left -= s;
    }
    const x = input(rand, shape, DTYPES[i % 3]);
    await compareAll(t, () => tf.split(x(), sizes.slice(), axis), `random split [${shape}] ${sizes} axis ${axis}`);
  }
});

// --- StridedSlice --------------------------------------------------------------------------------

interface StridedCase {
  shape: number[];
  begin: number[];
  end: number[];
  strides?: number[];
  masks?: [number, number, number, number, number]; // begin, end, ellipsis, newAxis, shrinkAxis
}

const STRIDED: StridedCase[] = [
  { shape: [16, 3, 4], begin: [5], end: [6], strides: [1], masks: [0, 0, 0, 0, 1] }, // x[5]
  { shape: [16, 3, 4], begin: [2, 0], end: [9, 3] }, // x[2:9]
  { shape: [6, 40], begin: [0, 7], end: [6, 30] }, // x[:, 7:30]
  { shape: [6, 40], begin: [0, 7], end: [6, 30], strides: [2, 3] }, // x[::2, 7:30:3]
  { shape: [6, 40], begin: [0, 0], end: [6, 40], strides: [3, 1] }, // x[::3] (contiguous rows)
  { shape: [5, 6, 7], begin: [4, 5, 6], end: [0, 0, 0], strides: [-1, -2, -3] }, // reversed
  { shape: [5, 6, 7], begin: [0, 0, 0], end: [0, 0, 0], strides: [1, 1, 2], masks: [7, 7, 0, 0, 0] }, // x[:, :, ::2]
  { shape: [5, 6, 7], begin: [1, 2], end: [4, 5], strides: [1, 1], masks: [0, 0, 0, 0, 2] }, // x[1:4, 2]
  { shape: [5, 6, 7], begin: [0, 3], end: [0, 5], strides: [1, 1], masks: [0, 0, 1, 0, 0] }, // x[..., 3:5]
  { shape: [5, 6, 7], begin: [0, 1], end: [0, 4], strides: [1, 2], masks: [0, 0, 0, 1, 0] }, // x[newaxis, 1:4:2]
  { shape: [5, 6], begin: [0, 0], end: [5, 6] }, // identity
  { shape: [5, 6], begin: [3, 0], end: [3, 6] }, // empty
  { shape: [5, 6], begin: [4, 0], end: [1, 6], strides: [1, 2] }, // empty, strided
  { shape: [5, 6], begin: [4, 0], end: [1, 6], strides: [1, 1] }, // empty, begin > end (stock cpu throws)
  { shape: [5, 6], begin: [-3, -100], end: [100, -1], strides: [1, 1] }, // negative and clamped bounds
  { shape: [0, 6], begin: [0, 1], end: [0, 5], strides: [1, 2] },
  { shape: [9], begin: [8], end: [-10], strides: [-2] },
  { shape: [2, 3, 4, 5, 6], begin: [1, 0, 1, 0, 5], end: [2, 3, 4, 5, 0], strides: [1, 2, 2, 3, -2] },
];

const stridedOf = (x: () => tf.Tensor, c: StridedCase) => () => {
  const [bm, em, el, nm, sm] = c.masks ?? [0, 0, 0, 0, 0];
  return [tf.stridedSlice(x(), c.begin, c.end, c.strides, bm, em, el, nm, sm)];
};

test.serial('StridedSlice: masks, negative and non-unit strides, empty ranges, all dtypes', async t => {
  const rand = prng(69);
  for (const c of STRIDED) {
    for (const dtype of DTYPES) {
      const f = stridedOf(input(rand, c.shape, dtype), c);
      const what = `stridedSlice ${dtype} [${c.shape}] ${c.begin}:${c.end}:${c.strides ?? ''} masks ${c.masks ?? ''}`;
      // Stock cpu throws on begin > end with unit strides; the answer there is empty, [0, 6].
      const reversed = c.begin[0] > c.end[0] && (c.strides ?? [1])[0] === 1 && c.strides?.[1] === 1;
      const want = reversed ? { shape: [0, 6], dtype, values: [] } : (await runAll('cpu-stock', f))[0];
      assertSame(t, (await runAll('wasm-graft', f))[0], want, what);
      // With fast kernels off the fix layer alone must be right too (stock is not, for int32/bool).
      assertSame(t, (await runAll('wasm-stock', f))[0], want, `${what} (fix only)`);
    }
  }
});

test.serial('StridedSlice: random unit and non-unit strides against cpu', async t => {
  const rand = prng(71);
  for (let i = 0; i < 30; i++) {
    const shape = randomShape(rand, 1, 4, 7);
    const strides = shape.map(() => (rand() < 0.5 ? 1 : randInt(rand, -3, 3) || 2));
    const begin = shape.map(d => randInt(rand, -d, d));
    const end = shape.map(d => randInt(rand, -d - 1, d + 1));
    const c: StridedCase = { shape, begin, end, strides, masks: [randInt(rand, 0, 3), randInt(rand, 0, 3), 0, 0, 0] };
    const f = stridedOf(input(rand, shape, DTYPES[i % 3]), c);
    const what = `random stridedSlice [${shape}] ${begin}:${end}:${strides} masks ${c.masks}`;
    const got = (await runAll('wasm-graft', f))[0];
    let want: Result;
    try {
      want = (await runAll('cpu-stock', f))[0];
    } catch (err) {
      // Stock cpu throws on an empty unit-stride range with begin > end (it passes a negative size
      // to its Slice); the answer is an empty tensor.
      t.regex((err as Error).message, /Negative size values/, what);
      t.is(got.values.length, 0, `${what}: empty`);
      t.is((await runAll('wasm-stock', f))[0].values.length, 0, `${what}: empty (fix only)`);
      continue;
    }
    assertSame(t, got, want, what);
    assertSame(t, (await runAll('wasm-stock', f))[0], want, `${what} (fix only)`);
  }
});

// --- Identity ------------------------------------------------------------------------------------

test.serial('Identity shares data: a clone keeps its values when the variable is reassigned', async t => {
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
  const before = liveCounts();
  const v = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2], [3, 4]])));
  const idsWithVar = tf.engine().backend.numDataIds();
  const c = tf.clone(v);
  t.is(tf.engine().backend.numDataIds(), idsWithVar, 'the clone allocates no new data');
  tf.tidy(() => v.assign(tf.tensor2d([[5, 6], [7, 8]])));
  t.deepEqual(c.arraySync(), [[1, 2], [3, 4]], 'clone keeps the old values');
  t.deepEqual(v.arraySync(), [[5, 6], [7, 8]]);
  // Either sharer may be disposed first; the other stays readable.
  const x = tf.tensor1d([1, -0, NaN], 'float32');
  const y = tf.clone(x);
  x.dispose();
  const yv = y.dataSync();
  t.true(yv[0] === 1 && Object.is(yv[1], -0) && Number.isNaN(yv[2]));
  const z = tf.clone(y);
  z.dispose();
  t.deepEqual(Array.from(y.dataSync()).slice(0, 2), [1, -0]);
  tf.dispose([v, c, y]);
  t.deepEqual(liveCounts(), before, 'shared data freed with its last tensor');
});

test.serial('Identity: int32, bool, empty and string tensors; gradients through clone', async t => {
  const rand = prng(73);
  for (const dtype of DTYPES) {
    for (const shape of [[3, 4], [0, 2], []] as number[][]) {
      const x = input(rand, shape, dtype);
      await compareAll(t, () => [tf.clone(x())], `clone ${dtype} [${shape}]`);
    }
  }
  await tf.setBackend('wasm');
  const s = tf.tensor1d(['a', 'bc']);
  const sc = tf.clone(s);
  s.dispose();
  t.deepEqual(sc.arraySync(), ['a', 'bc']);
  sc.dispose();
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.clone(x), x)))(tf.tensor1d([1, 2, 3]));
  t.deepEqual(Array.from(g.dataSync()), [2, 4, 6]);
  g.dispose();
});

// --- ClipByValue ---------------------------------------------------------------------------------

test.serial('ClipByValue: int32 and bool clipped in their dtype (extremes, fractional bounds), float32 unchanged', async t => {
  const rand = prng(75);
  const ints = Int32Array.from([-(2 ** 31), 2 ** 31 - 1, -5, -3, -2, -1, 0, 1, 2, 3, 10, 7, 100000]);
  const bounds: [number, number][] = [[0, 6], [-2.5, 2.5], [-2.5, -1.5], [1e10, 2e10], [-1e10, 1e10], [-(2 ** 31), 0]];
  for (const [lo, hi] of bounds) {
    const f = () => [tf.clipByValue(tf.tensor1d(ints, 'int32'), lo, hi)];
    assertSame(t, (await runAll('wasm-graft', f))[0], (await runAll('cpu-stock', f))[0], `clip int32 to [${lo}, ${hi}]`);
  }
  const exact = (await runAll('wasm-graft', () => [tf.clipByValue(tf.tensor1d([-5, 0, 3, 10, 7], 'int32'), 0, 6)]))[0];
  t.deepEqual(exact.values, [0, 0, 3, 6, 6]);
  t.is(exact.dtype, 'int32');
  for (const [lo, hi] of [[0.5, 2], [-1, 0.5]]) {
    const f = () => [tf.clipByValue(tf.tensor1d([1, 0, 1, 1], 'bool'), lo, hi)];
    assertSame(t, (await runAll('wasm-graft', f))[0], (await runAll('cpu-stock', f))[0], `clip bool to [${lo}, ${hi}]`);
  }
  for (const shape of [[37, 5], [0, 3], []] as number[][]) {
    const x = input(rand, shape, 'int32');
    const f = () => [tf.clipByValue(x(), -1e8, 3e8)];
    assertSame(t, (await runAll('wasm-graft', f))[0], (await runAll('cpu-stock', f))[0], `clip int32 [${shape}]`);
    const fl = () => [tf.clipByValue(tf.tensor(randomValues(prng(size(shape) + 1), size(shape), 3), shape), -1, 1)];
    assertClose(t, (await runAll('wasm-graft', fl))[0], (await runAll('cpu-stock', fl))[0], `clip float32 [${shape}]`, 0, 0);
  }
});

// --- memory and registration ---------------------------------------------------------------------

test.serial('slicing kernels, Identity and ClipByValue leak neither tensors nor backend data', async t => {
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
  const rand = prng(77);
  const x = tf.tensor(randomValues(rand, 6 * 5 * 4), [6, 5, 4]);
  const xi = tf.tensor(Int32Array.from({ length: 60 }, (_, i) => i - 30), [6, 10], 'int32');
  const ops: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ['slice', () => tf.slice(x, [1, 0, 1], [3, 5, 2])],
    ['slice empty', () => tf.slice(x, [1, 0, 1], [3, 0, 2])],
    ['unstack', () => tf.unstack(x, 1)],
    ['split', () => tf.split(x, [1, 2, 3], 0)],
    ['stridedSlice', () => tf.stridedSlice(x, [0, 1], [6, 4], [2, 1])],
    ['stridedSlice identity', () => tf.stridedSlice(x, [0], [6])],
    ['stridedSlice int32', () => tf.stridedSlice(xi, [5, 0], [0, 10], [-2, 3])],
    ['clone', () => tf.clone(x)],
    ['clip int32', () => tf.clipByValue(xi, -3, 4)],
  ];
  for (const [name, op] of ops) {
    tf.dispose(tf.tidy(op));
    const before = liveCounts();
    for (let i = 0; i < 5; i++) tf.tidy(() => { op(); });
    for (let i = 0; i < 5; i++) tf.dispose(op());
    t.deepEqual(liveCounts(), before, `${name} leaked`);
  }
  tf.dispose([x, xi]);
});

test.serial('fastKernels:false keeps the fixes (StridedSlice under its fast layer) and restores stock', async t => {
  const stockStrided = () => installedGraftKernels().filter(k => k.kernelName === 'StridedSlice').map(k => k.purpose);
  registerGraftKernels('wasm', { fastKernels: true });
  t.deepEqual(stockStrided(), ['fix', 'fast']);
  const fastConfig = tf.getKernel('StridedSlice', 'wasm');
  registerGraftKernels('wasm', { fastKernels: false });
  const names = graftKernelNames('wasm');
  for (const k of ['Slice', 'Unpack', 'SplitV', 'Identity']) t.false(names.includes(k), `${k} is a fast kernel`);
  for (const k of ['ClipByValue', 'StridedSlice']) t.true(names.includes(k), `${k} fix stays`);
  t.deepEqual(stockStrided(), ['fix']);
  const fixConfig = tf.getKernel('StridedSlice', 'wasm');
  t.not(fixConfig, fastConfig);
  // The fix alone is correct on int32 (stock returns float32 bit patterns here).
  const got = (await runAll('wasm-stock', () => [tf.stridedSlice(tf.tensor1d([1, 2, 3, 4, 5], 'int32'), [0], [5], [2])]))[0];
  t.deepEqual([got.dtype, got.values], ['int32', [1, 3, 5]]);
  // Full removal restores the stock kernels under both layers, and re-registering rebuilds them.
  unregisterGraftKernels('wasm');
  t.false(graftKernelNames('wasm').includes('StridedSlice'));
  const stock = tf.getKernel('StridedSlice', 'wasm');
  t.true(stock != null && stock !== fixConfig && stock !== fastConfig);
  registerGraftKernels('wasm', { fastKernels: true });
  t.deepEqual(stockStrided(), ['fix', 'fast']);
  const back = (await runAll('wasm-graft', () => [tf.stridedSlice(tf.tensor1d([1, 2, 3, 4, 5], 'int32'), [0], [5], [2])]))[0];
  t.deepEqual([back.dtype, back.values], ['int32', [1, 3, 5]]);
});
