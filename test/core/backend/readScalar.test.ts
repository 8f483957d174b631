/**
 * readScalar (the trainer's per-step loss read) against dataSync: the same value, bit for bit, on
 * wasm (a heap view) and cpu (dataSync), for the IEEE specials and for tensors a kernel wrote
 * after other allocations moved the heap. Serial: the active backend is process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { readScalar } from '../../../core/backend/index.ts';
import { initBackends } from './helpers.ts';

test.before(async () => {
  await initBackends();
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

const VALUES = [0, -0, 1.5, -2.25, 3.4028234663852886e38, 1e-45, NaN, Infinity, -Infinity, Math.fround(0.1)];

for (const backend of ['wasm', 'cpu'] as const) {
  test.serial(`${backend}: equal to dataSync, bit for bit, for specials and kernel outputs`, async (t) => {
    await tf.setBackend(backend);
    for (const v of VALUES) {
      const x = tf.scalar(v);
      t.is(Object.is(readScalar(x), x.dataSync()[0]), true, `value ${v}`);
      x.dispose();
    }
    // A kernel's output after a large allocation (the heap may grow: a stale view would read garbage).
    const big = tf.zeros([1 << 20]);
    const y = tf.tidy(() => tf.sum(tf.mul(tf.tensor1d([1.25, 2.5, -3]), 2)));
    t.is(readScalar(y), 1.5); // (1.25 + 2.5 - 3) * 2
    // Only the first element is read; int32 goes through dataSync.
    const v = tf.tensor1d([7.5, 9]);
    const i = tf.scalar(-4, 'int32');
    t.is(readScalar(v), 7.5);
    t.is(readScalar(i), -4);
    tf.dispose([big, y, v, i]);
  });
}
