/**
 * graft's wasm kernels against references: the stock cpu kernels (tfjs-backend-cpu), the stock
 * wasm kernel with replacements off, or a direct JS computation where stock is wrong or missing.
 * Serial: the active backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { graftKernelNames, registerGraftKernels } from '../../../core/backend/index.ts';
import {
  assertClose, initBackends, liveCounts, prng, randInt, randomValues, run, size, type Result,
} from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

// --- BatchMatMul ---------------------------------------------------------------------------------

interface MatMulCase {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

function matmulOf(c: MatMulCase, seed: number): () => tf.Tensor {
  const rand = prng(seed);
  const av = randomValues(rand, size(c.a));
  const bv = randomValues(rand, size(c.b));
  return () => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb);
}

/** Stored shape of an operand given its logical [.., rows, cols] and transpose flag. */
function operand(batch: number[], rows: number, cols: number, transposed: boolean): number[] {
  return transposed ? [...batch, cols, rows] : [...batch, rows, cols];
}

function matmulCase(batchA: number[], batchB: number[], m: number, k: number, n: number, ta: boolean, tb: boolean): MatMulCase {
  return { a: operand(batchA, m, k, ta), b: operand(batchB, k, n, tb), ta, tb };
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

test.serial('BatchMatMul: all transpose combos, batch 1 and n, shared and broadcast batches', async t => {
  const layouts: [number[], number[]][] = [
    [[], []], [[1], [1]], [[3], [3]], [[1], [4]], [[4], [1]], [[2, 3], []], [[], [5]], [[2, 3], [3]],
    [[1, 3], [3]],
  ];
  // Sizes around the GEMM's 4x8 tiles, down to single rows, columns and k (gemm.test.ts covers
  // the tile and cache-block boundaries in detail).
  const dims: [number, number, number][] = [[20, 24, 28], [3, 5, 2], [1, 33, 7], [17, 1, 40]];
  let seed = 1;
  for (const [ba, bb] of layouts) {
    for (const [m, k, n] of dims) {
      for (const [ta, tb] of TRANSPOSES) {
        const c = matmulCase(ba, bb, m, k, n, ta, tb);
        const f = matmulOf(c, seed++);
        const what = `a[${c.a}]${ta ? 'T' : ''} x b[${c.b}]${tb ? 'T' : ''}`;
        assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), what, 1e-4, 1e-4);
      }
    }
  }
});

test.serial('BatchMatMul: random shapes against cpu', async t => {
  const rand = prng(7);
  for (let i = 0; i < 24; i++) {
    const batch = randInt(rand, 0, 2) === 0 ? [] : [randInt(rand, 1, 4)];
    const broadcast = rand() < 0.3;
    const c = matmulCase(batch, broadcast ? [] : batch, randInt(rand, 1, 48), randInt(rand, 1, 48),
      randInt(rand, 1, 48), rand() < 0.5, rand() < 0.5);
    const f = matmulOf(c, 100 + i);
    assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), `random a[${c.a}] b[${c.b}] ${c.ta} ${c.tb}`, 1e-4, 1e-4);
  }
});

test.serial('BatchMatMul: equals the stock wasm kernel where stock is correct', async t => {
  for (const [ta, tb] of TRANSPOSES) {
    const f = matmulOf(matmulCase([4], [4], 24, 16, 20, ta, tb), 11);
    assertClose(t, await run('wasm-graft', f), await run('wasm-stock', f), `stock wasm ${ta} ${tb}`, 1e-4, 1e-4);
  }
});

test.serial('BatchMatMul: zero-sized dims', async t => {
  for (const [m, k, n, batch] of [[0, 4, 5, 2], [3, 0, 5, 2], [3, 4, 0, 2], [3, 4, 5, 0], [0, 0, 0, 1]]) {
    for (const [ta, tb] of TRANSPOSES) {
      const f = matmulOf(matmulCase([batch], [batch], m, k, n, ta, tb), 5);
      const got = await run('wasm-graft', f);
      t.deepEqual(got.shape, [batch, m, n], `shape for m=${m} k=${k} n=${n} batch=${batch}`);
      // An empty inner dimension sums nothing: all zeros.
      t.true(got.values.every(v => v === 0), `zeros for k=${k}`);
    }
  }
});

test.serial('BatchMatMul: multi-axis broadcast [2,1] x [1,3] follows numpy', async t => {
  // Stock tfjs kernels (cpu and wasm) return 3 batches for a [2,3] broadcast here, so the
  // reference is an explicit tile to [2,3] on cpu.
  const rand = prng(3);
  for (const [ta, tb] of TRANSPOSES) {
    // A larger and a tiny product per batch.
    const [m, k, n] = ta ? [18, 20, 22] : [3, 4, 5];
    const c = matmulCase([2, 1], [1, 3], m, k, n, ta, tb);
    const av = randomValues(rand, size(c.a));
    const bv = randomValues(rand, size(c.b));
    const got = await run('wasm-graft', () => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), ta, tb));
    const want = await run('cpu-stock', () => tf.matMul(
      tf.tile(tf.tensor(av, c.a), [1, 3, 1, 1]), tf.tile(tf.tensor(bv, c.b), [2, 1, 1, 1]), ta, tb));
    assertClose(t, got, want, `broadcast ${ta} ${tb}`, 1e-4, 1e-4);
  }
});

// --- Sum -----------------------------------------------------------------------------------------

test.serial('Sum: leading, middle, trailing and split axes; keepDims; int32; empty', async t => {
  const rand = prng(21);
  const cases: [number[], number | number[], boolean][] = [
    [[64, 48], 0, false], [[64, 48], 0, true], [[8, 16, 24], [0, 1], false], [[8, 16, 24], 1, true],
    [[8, 16, 24], 2, false], [[8, 16, 24], [0, 2], false], [[1, 30, 1, 7], [0, 1], false],
    [[5, 1, 9], [0, 1], true], [[3, 0, 4], 0, false], [[0, 4], 0, false], [[3, 4], -2, false],
    [[19, 7, 3, 5], [1, 2], false], [[9], 0, false], [[4, 0], 1, false], [[2, 0, 3], [1, 2], true],
  ];
  for (const [shape, axis, keepDims] of cases) {
    const v = randomValues(rand, size(shape));
    for (const dtype of ['float32', 'int32'] as const) {
      const vals = dtype === 'int32' ? Int32Array.from(v, x => Math.round(x * 100)) : v;
      const f = () => tf.sum(tf.tensor(vals, shape, dtype), axis, keepDims);
      const what = `sum ${dtype} [${shape}] axis ${axis} keepDims ${keepDims}`;
      const got = await run('wasm-graft', f);
      assertClose(t, got, await run('cpu-stock', f), what, 1e-4, 1e-5);
      // Stock wasm returns uninitialised memory when the reduced axes are empty (graft: zeros).
      const axes = (Array.isArray(axis) ? axis : [axis]).map(a => (a + shape.length) % shape.length);
      if (size(axes.map(a => shape[a])) > 0) {
        assertClose(t, got, await run('wasm-stock', f), `${what} (stock wasm)`, 1e-4, 1e-5);
      }
    }
  }
});

test.serial('Mean: block layouts, keepDims, empty axes, int32 stays on stock', async t => {
  const rand = prng(25);
  const cases: [number[], number | number[], boolean][] = [
    [[64, 48], 0, false], [[8, 16, 24], 1, true], [[8, 16, 24], [0, 1], false], [[8, 16, 24], 2, false],
    [[8, 16, 24], [0, 2], false], [[1, 30, 1, 7], [0, 1], false], [[0, 4], 0, false], [[3, 0, 2], 1, false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    const v = randomValues(rand, size(shape));
    for (const dtype of ['float32', 'int32'] as const) {
      const vals = dtype === 'int32' ? Int32Array.from(v, x => Math.round(x * 100)) : v;
      const f = () => tf.mean(tf.tensor(vals, shape, dtype), axis, keepDims);
      assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), `mean ${dtype} [${shape}] axis ${axis}`, 1e-5, 1e-5);
    }
  }
});

// --- Tanh ----------------------------------------------------------------------------------------

test.serial('Tanh: accuracy vs Math.tanh over the float range, specials, and stock wasm', async t => {
  const xs: number[] = [0, -0, 1e-30, -1e-8, 1e-4, 0.1, 0.5, -1, 2, 3.3, 7.9, 7.91, 8.7, 9, -9.5, 20, 1e6,
    Infinity, -Infinity, NaN];
  for (let i = -2000; i <= 2000; i++) xs.push(i * 0.0061);
  const values = Float32Array.from(xs);
  const f = () => tf.tanh(tf.tensor1d(values));
  const got = await run('wasm-graft', f);
  const exact: Result = { shape: [values.length], dtype: 'float32', values: Array.from(values, x => Math.fround(Math.tanh(x))) };
  // A few float32 ulps: 3e-7 absolute near +-1, relative near 0.
  assertClose(t, got, exact, 'tanh vs Math.tanh', 3e-7, 3e-7);
  t.is(got.values[xs.indexOf(Infinity)], 1);
  t.is(got.values[xs.indexOf(-Infinity)], -1);
  t.is(got.values[xs.indexOf(20)], 1);
  t.true(Object.is(got.values[1], -0), 'tanh(-0) is -0');
  assertClose(t, got, await run('wasm-stock', f), 'tanh vs stock wasm', 3e-7, 3e-7);
  const empty = await run('wasm-graft', () => tf.tanh(tf.zeros([0, 3])));
  t.deepEqual(empty.shape, [0, 3]);
});

// --- OneHot --------------------------------------------------------------------------------------

test.serial('OneHot honours dtype; negative and out-of-range indices give all-off rows', async t => {
  const idx = [0, 3, -1, 4, 2, 2, 7];
  for (const dtype of ['float32', 'int32'] as const) {
    for (const [on, off] of [[1, 0], [5, -2]]) {
      const f = () => tf.oneHot(tf.tensor2d(idx, [7, 1], 'int32'), 5, on, off, dtype);
      const got = await run('wasm-graft', f);
      assertClose(t, got, await run('cpu-stock', f), `oneHot ${dtype} on=${on} off=${off}`, 0, 0);
    }
  }
  const floats = await run('wasm-graft', () => tf.oneHot(tf.tensor1d([1], 'int32'), 3, 1, 0, 'float32'));
  t.deepEqual(floats.values, [0, 1, 0]);
});

// --- UnsortedSegmentSum --------------------------------------------------------------------------

function segmentSumRef(x: Float32Array | Int32Array, xShape: number[], ids: number[], numSegments: number): number[] {
  const inner = size(xShape.slice(1));
  const out = new Array<number>(numSegments * inner).fill(0);
  ids.forEach((s, i) => {
    if (s < 0 || s >= numSegments) return;
    for (let k = 0; k < inner; k++) out[s * inner + k] += x[i * inner + k];
  });
  return out;
}

test.serial('UnsortedSegmentSum: repeats, negative and out-of-range ids, int32, empty', async t => {
  const rand = prng(5);
  const cases: [number[], number[], number][] = [
    [[6, 3], [0, 2, 2, -1, 5, 1], 4],
    [[5], [4, 4, 4, 0, 9], 5],
    [[4, 2, 3], [3, 0, 3, -7], 4],
    [[0, 3], [], 3],
    [[3, 0], [0, 1, 1], 2],
    [[3, 2], [0, 1, 2], 0],
    [[40, 8], Array.from({ length: 40 }, () => randInt(rand, -2, 12)), 10],
  ];
  for (const [shape, ids, numSegments] of cases) {
    const xv = randomValues(rand, size(shape));
    for (const dtype of ['float32', 'int32'] as const) {
      const vals = dtype === 'int32' ? Int32Array.from(xv, v => Math.round(v * 50)) : xv;
      const f = () => tf.unsortedSegmentSum(tf.tensor(vals, shape, dtype), tf.tensor1d(ids, 'int32'), numSegments);
      const got = await run('wasm-graft', f);
      const what = `segmentSum ${dtype} x[${shape}] ids[${ids.length}] into ${numSegments}`;
      const ref: Result = { shape: [numSegments, ...shape.slice(1)], dtype, values: segmentSumRef(vals, shape, ids, numSegments) };
      assertClose(t, got, ref, what, 1e-5, 1e-5);
      if (numSegments > 0) {
        // Stock cpu returns float32 for int32 input (its mask is float32); compare values only.
        const cpu = await run('cpu-stock', f);
        assertClose(t, got, { ...cpu, dtype }, `${what} vs cpu`, 1e-5, 1e-5);
      }
    }
  }
});

test.serial('UnsortedSegmentSum: 2-D segment ids use TensorFlow semantics', async t => {
  const xv = randomValues(prng(9), 2 * 3 * 4);
  const ids = [[0, 2, 1], [2, -1, 0]];
  const got = await run('wasm-graft', () => tf.unsortedSegmentSum(tf.tensor(xv, [2, 3, 4]), tf.tensor2d(ids, [2, 3], "int32") as unknown as tf.Tensor1D, 3));
  t.deepEqual(got.shape, [3, 4]);
  assertClose(t, got, { shape: [3, 4], dtype: 'float32', values: segmentSumRef(xv, [6, 4], ids.flat(), 3) }, '2-D ids');
});

test.serial('UnsortedSegmentSum: vocabulary-sized output stays O(input)', async t => {
  const rand = prng(13);
  const ids = Array.from({ length: 512 }, () => randInt(rand, 0, 29999));
  const xv = randomValues(rand, 512 * 16);
  const start = performance.now();
  const got = await run('wasm-graft', () => tf.unsortedSegmentSum(tf.tensor(xv, [512, 16]), tf.tensor1d(ids, 'int32'), 30000));
  t.true(performance.now() - start < 2000, 'scatter-add should take milliseconds');
  assertClose(t, got, { shape: [30000, 16], dtype: 'float32', values: segmentSumRef(xv, [512, 16], ids, 30000) }, 'vocab 30000');
});

// --- cpu bridge for missing wasm kernels ---------------------------------------------------------

test.serial('Einsum (missing on wasm) runs via the cpu bridge', async t => {
  const rand = prng(17);
  const a = randomValues(rand, 3 * 4 * 5);
  const b = randomValues(rand, 3 * 5 * 6);
  const f = () => tf.einsum('bij,bjk->bik', tf.tensor(a, [3, 4, 5]), tf.tensor(b, [3, 5, 6]));
  assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), 'einsum', 1e-5, 1e-5);
});

// --- memory --------------------------------------------------------------------------------------

test.serial('Sum and Mean on wasm (SIMD float64 rows) equal the cpu JS loop bit for bit', async t => {
  const rand = prng(73);
  // inner around the 4-column vectors, reduce around the 8-row groups, several outer blocks.
  for (const [outer, reduce, inner] of [[1, 2048, 128], [2, 17, 9], [3, 8, 4], [1, 7, 5], [2, 1, 3], [1, 9, 1 + 4], [1, 300, 17]]) {
    const v = randomValues(rand, outer * reduce * inner, 100);
    for (const op of ['sum', 'mean'] as const) {
      const f = () => tf[op](tf.tensor(v, [outer, reduce, inner]), 1);
      t.deepEqual(await run('wasm-graft', f), await run('cpu-graft', f), `${op} [${outer},${reduce},${inner}] axis 1`);
    }
  }
});

test.serial('Transpose with the last axis kept (head split/merge): every such perm, dtypes, empty, against stock', async t => {
  const rand = prng(79);
  const cases: { shape: number[]; perm: number[]; dtype: 'float32' | 'int32' }[] = [
    { shape: [2, 16, 4, 32], perm: [0, 2, 1, 3], dtype: 'float32' }, // [B,T,H,d] -> [B,H,T,d]
    { shape: [2, 4, 16, 32], perm: [0, 2, 1, 3], dtype: 'float32' },
    { shape: [3, 5, 7, 4], perm: [2, 0, 1, 3], dtype: 'int32' },
    { shape: [3, 1, 5, 6], perm: [2, 1, 0, 3], dtype: 'float32' }, // size-1 axis
    { shape: [2, 3, 4, 5, 6], perm: [4, 2, 0, 1, 3], dtype: 'float32' }, // last axis moves: stock
    { shape: [2, 3, 2], perm: [1, 0, 2], dtype: 'float32' }, // run of 2: stock
    { shape: [4, 6, 8], perm: [1, 0, 2], dtype: 'float32' },
    { shape: [4, 0, 8], perm: [1, 0, 2], dtype: 'float32' },
  ];
  for (const c of cases) {
    const v = c.dtype === 'float32' ? randomValues(rand, size(c.shape)) : Int32Array.from({ length: size(c.shape) }, (_, i) => i * 7 - 50);
    const f = () => tf.transpose(tf.tensor(v, c.shape, c.dtype), c.perm);
    t.deepEqual(await run('wasm-graft', f), await run('wasm-stock', f), `[${c.shape}] perm [${c.perm}] ${c.dtype}`);
  }
});

// --- GatherV2, Cast ------------------------------------------------------------------------------

test.serial('GatherV2: axes, batchDims, dtypes, repeated and empty indices, equal to stock cpu', async t => {
  const rand = prng(61);
  const cases: { x: number[]; dtype: 'float32' | 'int32' | 'bool'; ids: number[]; idShape: number[]; axis: number; batchDims: number }[] = [
    { x: [96, 128], dtype: 'float32', ids: [5, 0, 95, 5, 5], idShape: [5], axis: 0, batchDims: 0 }, // embedding rows
    { x: [6, 3], dtype: 'float32', ids: [2, 0, 1, 1], idShape: [2, 2], axis: 0, batchDims: 0 }, // short rows, 2-D ids
    { x: [4, 7, 5], dtype: 'int32', ids: [6, 0, 3], idShape: [3], axis: 1, batchDims: 0 },
    { x: [4, 7, 5], dtype: 'float32', ids: [4, 4, 0], idShape: [3], axis: -1, batchDims: 0 },
    { x: [3, 7, 5], dtype: 'float32', ids: [1, 2, 6, 0, 5, 5], idShape: [3, 2], axis: 1, batchDims: 1 },
    { x: [5, 4], dtype: 'bool', ids: [3, 1], idShape: [2], axis: 0, batchDims: 0 },
    { x: [5, 4], dtype: 'float32', ids: [], idShape: [0], axis: 0, batchDims: 0 },
  ];
  for (const c of cases) {
    const xv = c.dtype === 'float32' ? randomValues(rand, size(c.x))
      : Int32Array.from({ length: size(c.x) }, () => randInt(rand, c.dtype === 'bool' ? 0 : -50, c.dtype === 'bool' ? 1 : 50));
    const f = () => tf.gather(tf.tensor(xv, c.x, c.dtype), tf.tensor(c.ids, c.idShape, 'int32'), c.axis, c.batchDims);
    const got = await run('wasm-graft', f);
    const want = await run('cpu-stock', f);
    t.deepEqual(got, want, `gather x[${c.x}] ${c.dtype} ids[${c.idShape}] axis ${c.axis} batchDims ${c.batchDims}`);
  }
  for (const bad of [-1, 96]) {
    await t.throwsAsync(() => run('wasm-graft', () => tf.gather(tf.zeros([96, 4]), tf.tensor1d([0, bad], 'int32'))),
      { message: `GatherV2: the index value ${bad} is not in [0, 95]`, code: 'GRAFT_ERR_BACKEND' });
  }
});

test.serial('Cast: same dtype shares the data (it outlives its input), conversions equal stock', async t => {
  await tf.setBackend('wasm');
  const rand = prng(67);
  const v = randomValues(rand, 24, 3);
  const x = tf.tensor(v, [4, 6]);
  const y = tf.cast(x, 'float32');
  x.dispose();
  t.deepEqual(Array.from(await y.data()), Array.from(v));
  y.dispose();
  for (const [from, to] of [['float32', 'int32'], ['int32', 'float32'], ['bool', 'float32'], ['int32', 'int32'], ['bool', 'bool']] as const) {
    const f = () => tf.cast(tf.tensor(from === 'float32' ? v : Int32Array.from(v, z => (from === 'bool' ? Number(z > 0) : Math.round(z))), [4, 6], from), to);
    t.deepEqual(await run('wasm-graft', f), await run('wasm-stock', f), `${from} -> ${to}`);
  }
});

test.serial('Concat: axes, dtypes, empty and single inputs, short and long runs, equal to stock cpu', async t => {
  const rand = prng(71);
  const cases: { shapes: number[][]; axis: number; dtype: 'float32' | 'int32' | 'bool' }[] = [
    { shapes: [[2048 / 16, 128], [2048 / 16, 128], [2048 / 16, 128]], axis: 1, dtype: 'float32' }, // qkv gradient
    { shapes: [[3, 2], [3, 5]], axis: -1, dtype: 'int32' },
    { shapes: [[2, 3, 4], [2, 1, 4], [2, 0, 4]], axis: 1, dtype: 'float32' },
    { shapes: [[2, 3], [4, 3]], axis: 0, dtype: 'bool' },
    { shapes: [[0, 3], [2, 3]], axis: 0, dtype: 'float32' }, // one non-empty input: stock's identity
    { shapes: [[0, 3], [0, 3]], axis: 0, dtype: 'float32' },
    { shapes: [[5]], axis: 0, dtype: 'float32' },
  ];
  for (const c of cases) {
    const vals = c.shapes.map(s => (c.dtype === 'float32' ? randomValues(rand, size(s))
      : Int32Array.from({ length: size(s) }, () => randInt(rand, c.dtype === 'bool' ? 0 : -9, c.dtype === 'bool' ? 1 : 9))));
    const f = () => tf.concat(c.shapes.map((s, i) => tf.tensor(vals[i]!, s, c.dtype)), c.axis);
    t.deepEqual(await run('wasm-graft', f), await run('cpu-stock', f), `concat [${c.shapes.map(s => `[${s}]`)}] axis ${c.axis} ${c.dtype}`);
  }
});

test.serial('graft wasm kernels leak neither tensors nor backend data', async t => {
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
  const rand = prng(23);
  const a = tf.tensor(randomValues(rand, 4 * 24 * 32), [4, 24, 32]);
  const w = tf.tensor(randomValues(rand, 32 * 20), [32, 20]);
  const ids = tf.tensor1d([0, 3, 3, -1, 7], 'int32');
  const rows = tf.tensor(randomValues(rand, 5 * 6), [5, 6]);
  const small = tf.slice(a, [0, 0, 0], [4, 3, 3]);
  const bias5 = tf.ones([5]);
  const rowIds = tf.tensor1d([4, 0, 4], 'int32');
  const ops: [string, () => tf.Tensor][] = [
    ['matMul', () => tf.matMul(a, a, false, true)],
    ['matMul shared', () => tf.matMul(a, w)],
    ['matMul tA', () => tf.matMul(a, a, true, false)],
    ['matMul small', () => tf.matMul(small, small)],
    ['sum', () => tf.sum(a, [0, 1])],
    ['mean', () => tf.mean(a, 1)],
    ['tanh', () => tf.tanh(a)],
    ['oneHot', () => tf.oneHot(ids, 8, 1, 0, 'float32')],
    ['segmentSum', () => tf.unsortedSegmentSum(rows, ids, 8)],
    ['einsum', () => tf.einsum('ij,kj->ik', rows, rows)],
    ['fused matMul', () => tf.fused.matMul({ a: rows, b: rows, transposeB: true, bias: bias5 })],
    ['gather', () => tf.gather(rows, rowIds)],
    ['cast same dtype', () => tf.cast(rows, 'float32')],
    ['concat', () => tf.concat([rows, rows, rows], 1)],
    ['transpose heads', () => tf.transpose(a, [1, 0, 2])],
  ];
  for (const [name, op] of ops) {
    tf.tidy(() => { op(); }); // warm-up: lazily created wasm wrappers, etc.
    const before = liveCounts();
    for (let i = 0; i < 5; i++) tf.tidy(() => { op(); });
    for (let i = 0; i < 5; i++) op().dispose();
    t.deepEqual(liveCounts(), before, `${name} leaked`);
  }
  tf.dispose([a, w, ids, rows, small, bias5, rowIds]);
});

test.serial('fastKernels:false restores every stock wasm kernel', async t => {
  registerGraftKernels('wasm', { fastKernels: false });
  const names = graftKernelNames('wasm');
  t.false(names.includes('BatchMatMul'));
  t.true(names.includes('UnsortedSegmentSum'));
  t.true(names.includes('OneHot'));
  registerGraftKernels('wasm', { fastKernels: true });
  t.true(graftKernelNames('wasm').includes('BatchMatMul'));
});
