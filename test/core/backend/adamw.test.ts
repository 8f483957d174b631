/**
 * graft's fused AdamW kernel (core/backend/kernels/Adamw.ts, wasm) against the same step as tfjs
 * ops (plugins/optimizers/adamw/adamwUpdate.ts with the kernel absent): bit for bit, on wasm with
 * fast kernels off and on cpu. Serial: the active backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamw, registerGraftKernels } from '../../../core/backend/index.ts';
import { adamwUpdate } from '../../../plugins/optimizers/index.ts';
import { initBackends, liveCounts, prng, randomValues, run } from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

/** One step on fresh tensors from plain arrays; param, m and v concatenated. */
function step(n: number, seed: number, h: { weightDecay: number; t: number }): () => tf.Tensor {
  const rand = prng(seed);
  const p = randomValues(rand, n, 2);
  const g = randomValues(rand, n, 1e-2);
  const m = randomValues(rand, n, 1e-3);
  const v = Float32Array.from(randomValues(rand, n, 1e-4), x => x * x);
  // Edge values: zero gradient and moments, a huge and a tiny gradient.
  if (n > 3) {
    g[0] = 0; m[0] = 0; v[0] = 0;
    g[1] = 3e18;
    g[2] = 1e-30;
  }
  return () => {
    const out = adamwUpdate(tf.tensor(p), tf.tensor(g), tf.tensor(m), tf.tensor(v),
      { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, ...h });
    return tf.concat([out.param, out.m, out.v]);
  };
}

test.serial('fused AdamW is bit-identical to the tfjs ops, with and without decay, any length', async t => {
  let seed = 1;
  for (const n of [1, 3, 4, 5, 17, 1000, 65536 + 3]) {
    for (const h of [{ weightDecay: 0.1, t: 1 }, { weightDecay: 0, t: 2 }, { weightDecay: 0.01, t: 1000 }]) {
      const f = step(n, seed++, h);
      const fused = await run('wasm-graft', f);
      t.deepEqual(fused, await run('wasm-stock', f), `n=${n} wd=${h.weightDecay} t=${h.t} vs wasm ops`);
      t.deepEqual(fused, await run('cpu-stock', f), `n=${n} wd=${h.weightDecay} t=${h.t} vs cpu ops`);
    }
  }
});

test.serial('fused AdamW: only where installed and for float32 tensors of one shape; empty; no leaks', async t => {
  await tf.setBackend('wasm');
  const a = tf.ones([2, 3]);
  const b = tf.ones([3, 2]);
  const h = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, t: 1 };
  t.is(fusedAdamw(a, b, a, a, h), null);
  const ints = tf.cast(a, 'int32');
  t.is(fusedAdamw(a, ints, a, a, h), null);
  registerGraftKernels('wasm', { fastKernels: false });
  t.is(fusedAdamw(a, a, a, a, h), null);
  registerGraftKernels('wasm', { fastKernels: true });
  const empty = tf.zeros([0, 4]);
  const e = fusedAdamw(empty, empty, empty, empty, h)!;
  t.deepEqual(e.param.shape, [0, 4]);
  tf.dispose([e.param, e.m, e.v]);
  const before = liveCounts();
  for (let i = 0; i < 5; i++) {
    const o = fusedAdamw(a, a, a, a, h)!;
    tf.dispose([o.param, o.m, o.v]);
  }
  t.deepEqual(liveCounts(), before);
  tf.dispose([a, b, ints, empty]);
});
