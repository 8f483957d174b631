/**
 * graft's cpu replacements (UnsortedSegmentSum, Transpose, Sum, Mean, Tanh; Exp is in
 * expKernel.test.ts) against the stock tfjs-backend-cpu kernels on random shapes and edge cases.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { graftKernelNames, registerGraftKernels, unregisterGraftKernels } from '../../../core/backend/index.ts';
import {
  assertClose, initBackends, liveCounts, prng, randInt, randomValues, run, size, type Result,
} from './helpers.ts';

test.before(async () => {
  await initBackends();
});

test.after.always(async () => {
  unregisterGraftKernels('cpu');
  await tf.setBackend('wasm');
});

function shuffle<T>(rand: () => number, xs: T[]): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function tensorOf(rand: () => number, shape: number[], dtype: 'float32' | 'int32' | 'bool'): () => tf.Tensor {
  const v = randomValues(rand, size(shape), 10);
  const data = dtype === 'float32' ? v : dtype === 'int32' ? Int32Array.from(v, Math.round) : Uint8Array.from(v, x => (x > 0 ? 1 : 0));
  return () => tf.tensor(data, shape, dtype);
}

test.serial('Transpose: random ranks, perms, size-1 and empty dims, all numeric dtypes', async t => {
  const rand = prng(51);
  const fixed: [number[], number[]][] = [
    [[7, 9], [1, 0]], [[3, 4, 5], [0, 2, 1]], [[2, 3, 4, 5], [0, 2, 1, 3]], [[2, 3, 4, 5], [3, 1, 2, 0]],
    [[2, 1, 4, 1], [3, 2, 1, 0]], [[4, 0, 3], [2, 0, 1]], [[1, 1], [1, 0]], [[6], [0]], [[3, 4, 5], [0, 1, 2]],
    [[70, 33], [1, 0]], [[2, 65, 3], [1, 0, 2]],
  ];
  const randomCases = Array.from({ length: 20 }, (): [number[], number[]] => {
    const rank = randInt(rand, 1, 5);
    const shape = Array.from({ length: rank }, () => (rand() < 0.2 ? 1 : randInt(rand, 2, 6)));
    return [shape, shuffle(rand, Array.from({ length: rank }, (_, i) => i))];
  });
  for (const [shape, perm] of [...fixed, ...randomCases]) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const x = tensorOf(rand, shape, dtype);
      const f = () => tf.transpose(x(), perm);
      assertClose(t, await run('cpu-graft', f), await run('cpu-stock', f), `transpose ${dtype} [${shape}] perm ${perm}`, 0, 0);
    }
  }
});

test.serial('Sum and Mean on cpu: block layouts, keepDims, int32, empty', async t => {
  const rand = prng(53);
  const cases: [number[], number | number[], boolean][] = [
    [[40, 30], 0, false], [[8, 9, 10], [0, 1], true], [[8, 9, 10], 1, false], [[8, 9, 10], [0, 2], false],
    [[8, 9, 10], 2, false], [[1, 5, 1, 6], [0, 1, 2], false], [[0, 3], 0, false], [[3, 0], 1, true],
    [[9, 17], [0, 1], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tensorOf(rand, shape, dtype);
      const f = () => tf.sum(x(), axis, keepDims);
      assertClose(t, await run('cpu-graft', f), await run('cpu-stock', f), `sum ${dtype} [${shape}] axis ${axis}`, 1e-4, 1e-6);
      const g = () => tf.mean(x(), axis, keepDims);
      assertClose(t, await run('cpu-graft', g), await run('cpu-stock', g), `mean ${dtype} [${shape}] axis ${axis}`, 1e-5, 1e-6);
    }
  }
});

test.serial('Tanh on cpu matches Math.tanh within a few float32 ulps', async t => {
  const xs = Float32Array.from([0, -0, 1e-7, -3.5, 8, 9.5, -40, Infinity, NaN, ...randomValues(prng(55), 500, 12)]);
  const f = () => tf.tanh(tf.tensor1d(xs));
  const got = await run('cpu-graft', f);
  const exact: Result = { shape: [xs.length], dtype: 'float32', values: Array.from(xs, x => Math.fround(Math.tanh(x))) };
  assertClose(t, got, exact, 'tanh', 3e-7, 3e-7);
  assertClose(t, got, await run('cpu-stock', f), 'tanh vs stock', 3e-7, 3e-7);
});

test.serial('UnsortedSegmentSum on cpu: random ids with repeats and out-of-range values', async t => {
  const rand = prng(57);
  for (let i = 0; i < 12; i++) {
    const n = randInt(rand, 0, 30);
    const inner = rand() < 0.3 ? [] : [randInt(rand, 1, 5), randInt(rand, 1, 3)];
    const numSegments = randInt(rand, 1, 12);
    const ids = Array.from({ length: n }, () => randInt(rand, -3, numSegments + 3));
    const x = tensorOf(rand, [n, ...inner], 'float32');
    const f = () => tf.unsortedSegmentSum(x(), tf.tensor1d(ids, 'int32'), numSegments);
    assertClose(t, await run('cpu-graft', f), await run('cpu-stock', f), `segmentSum x[${n},${inner}] into ${numSegments}`, 1e-4, 1e-5);
  }
});

test.serial('cpu kernels are installed only with fastKernels and leak nothing', async t => {
  t.deepEqual(registerGraftKernels('cpu', { fastKernels: false }), []);
  t.deepEqual([...registerGraftKernels('cpu')].sort(), ['Exp', 'Mean', 'Sum', 'Tanh', 'Transpose', 'UnsortedSegmentSum']);
  await tf.setBackend('cpu');
  const x = tf.tensor(randomValues(prng(59), 6 * 7 * 8), [6, 7, 8]);
  const ids = tf.tensor1d([0, 5, 5, -1, 2, 9], 'int32');
  const before = liveCounts();
  for (let i = 0; i < 3; i++) {
    tf.transpose(x, [2, 0, 1]).dispose();
    tf.sum(x, [0, 1]).dispose();
    tf.mean(x, 1).dispose();
    tf.tanh(x).dispose();
    tf.exp(x).dispose();
    tf.unsortedSegmentSum(x, ids, 7).dispose();
  }
  t.deepEqual(liveCounts(), before);
  tf.dispose([x, ids]);
  unregisterGraftKernels('cpu');
  t.deepEqual(graftKernelNames('cpu'), []);
});
