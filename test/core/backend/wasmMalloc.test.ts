/**
 * core/backend/wasmMalloc.ts: an allocation the wasm heap cannot hold is GRAFT_ERR_OUT_OF_MEMORY
 * naming the sizes and what to change (before: a crash far away, or a hang on threads); a request
 * of 4 GB or more is refused rather than cut to 32 bits; smaller allocations work as before. (The
 * suite runs wasm on one thread: the build whose malloc hands out a block past the heap's end.)
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { selectBackend } from '../../../core/backend/index.ts';
import type { WasmBackendLike } from '../../../core/backend/kernels/heap.ts';

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});

const wasm = () => (tf.backend() as unknown as WasmBackendLike).wasm;

function outOfMemory(t: import('ava').ExecutionContext, f: () => unknown): GraftError {
  const err = t.throws(f) as GraftError;
  t.true(err instanceof GraftError, String(err));
  t.is(err.code, ErrorCodes.OUT_OF_MEMORY);
  t.regex(err.message, /out of memory on the wasm heap: \d+ MB more did not fit \(the heap is \d+ MB, at most 4096 MB\)/);
  t.regex(err.message, /activationCheckpointing/);
  t.false(err.isUsageError, 'a failure while running: exit 1');
  return err;
}

test('a request of 4 GB or more is refused, not cut to 32 bits', (t) => {
  t.is(tf.getBackend(), 'wasm');
  const err = outOfMemory(t, () => wasm()._malloc(2 ** 32 + 64));
  t.regex(err.message, /4096 MB more/);
});

test('when the heap cannot grow any more: an error, and the heap still works after', (t) => {
  const before = tf.memory().numTensors;
  // 3 GB, never written (virtual memory only), then a tensor of 1.5 GB through tfjs's own kernel.
  const big = wasm()._malloc(3 * 2 ** 30);
  t.true(big > 0);
  try {
    outOfMemory(t, () => tf.fill([384 * 2 ** 20], 1, 'float32'));
  } finally {
    wasm()._free(big);
  }
  // With the 3 GB freed, allocations work again: a small tensor and a 1 GB one, with the right values.
  const x = tf.fill([1024], 2, 'float32');
  t.is(tf.tidy(() => tf.sum(x).dataSync()[0]), 2048);
  const y = tf.fill([256 * 2 ** 20], 3, 'float32');
  t.deepEqual(tf.tidy(() => [tf.min(y).dataSync()[0], tf.max(y).dataSync()[0]]), [3, 3]);
  tf.dispose([x, y]);
  t.is(tf.memory().numTensors, before, `tensors: ${before} before, ${tf.memory().numTensors} after`);
});
