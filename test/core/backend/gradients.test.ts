/**
 * The Unpack and SplitV gradients graft registers (core/runtime/registerGradients.ts): tfjs 4.22's
 * break when the op has a single output, because the engine then passes the lone output gradient
 * instead of an array. Checked on cpu and on wasm (whose Unpack/SplitV kernels graft replaces).
 */
import test from 'ava';
import '../../../core/runtime/registerGradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import { registerGraftKernels } from '../../../core/backend/index.ts';
import { initBackends, liveCounts } from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

const grad = (f: (x: tf.Tensor) => tf.Tensor, x: number[][]) =>
  tf.tidy(() => tf.grad(f)(tf.tensor2d(x)).arraySync());

for (const backend of ['cpu', 'wasm'] as const) {
  test.serial(`${backend}: unstack along a size-1 axis can be trained through`, async t => {
    await tf.setBackend(backend);
    const before = liveCounts();
    t.deepEqual(grad(x => tf.sum(tf.unstack(x, 0)[0]), [[1, 2, 3]]), [[1, 1, 1]]);
    t.deepEqual(grad(x => tf.sum(tf.unstack(x, 1)[0]), [[1], [2], [3]]), [[1], [1], [1]]);
    // The gradient of the single output reaches the input with its values, not just ones.
    t.deepEqual(grad(x => tf.sum(tf.square(tf.unstack(x, 0)[0])), [[1, -2, 3]]), [[2, -4, 6]]);
    t.deepEqual(liveCounts(), before, 'no tensors leaked');
  });

  test.serial(`${backend}: several outputs still get their own gradients`, async t => {
    await tf.setBackend(backend);
    // sum_i (i + 1) * sum(unstack(x)[i]) -> row i of the gradient is i + 1; unused rows are 0.
    t.deepEqual(grad(x => {
      const rows = tf.unstack(x, 0);
      return tf.addN([tf.sum(rows[0]), tf.mul(tf.sum(rows[2]), 3)]);
    }, [[1, 2], [3, 4], [5, 6]]), [[1, 1], [0, 0], [3, 3]]);
    t.deepEqual(grad(x => tf.sum(tf.mul(tf.split(x, [1, 2], 1)[1], 2)), [[1, 2, 3], [4, 5, 6]]), [[0, 2, 2], [0, 2, 2]]);
  });

  test.serial(`${backend}: split into one piece can be trained through`, async t => {
    await tf.setBackend(backend);
    t.deepEqual(grad(x => tf.sum(tf.split(x, 1, 1)[0]), [[1, 2, 3], [4, 5, 6]]), [[1, 1, 1], [1, 1, 1]]);
    t.deepEqual(grad(x => tf.sum(tf.mul(tf.split(x, [2], 0)[0], x)), [[1, 2], [3, 4]]), [[2, 4], [6, 8]]);
  });
}
