/**
 * `adamwInPlace` (core/backend/fusedAdamw.ts): the fused AdamW step written into the parameter and
 * its moments. Bit-identical to `fusedAdamw` + assign, no tensor made, refused (nothing changed)
 * wherever the old values could be seen, and XNNPACK's packed copies of the old values dropped.
 * `optimizer:adamw` uses it: same numbers with and without. Serial: the backend is process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { adamwInPlace, fusedAdamw, registerGraftKernels } from '../../../core/backend/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { assertPackedFilterDropped, initBackends, optimizerSteps, prng, randomValues } from './helpers.ts';

const H = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8 };

test.before(async () => {
  await initBackends();
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('wasm');
});

/** A parameter, its gradient and moments from a seed; the moments as the optimizer's own variables. */
function state(n: number, seed: number) {
  const rand = prng(seed);
  const p = randomValues(rand, n, 2);
  const m = randomValues(rand, n, 1e-3);
  const v = Float32Array.from(randomValues(rand, n, 1e-2), (x) => x * x);
  const mk = (a: Float32Array): tf.Variable => tf.variable(tf.tensor1d(a), false);
  // Variables whose memory is theirs alone: the tensors they were made from are disposed.
  return tf.tidy(() => ({ p: mk(p), m: mk(m), v: mk(v) }));
}

const read = (x: tf.Tensor) => Array.from(x.dataSync());

test.serial('in place: bit-identical to fusedAdamw + assign over steps, any length, with and without decay; nothing allocated', (t) => {
  let seed = 1;
  for (const n of [1, 3, 4, 5, 17, 1000, 65536 + 3]) {
    for (const weightDecay of [0.1, 0]) {
      const a = state(n, seed);
      const b = state(n, seed);
      const rand = prng(seed++ + 1000);
      for (let step = 1; step <= 3; step++) {
        const g = tf.tensor1d(randomValues(rand, n, 1e-2));
        const h = { ...H, weightDecay, t: step };
        const ids = [a.p.dataId, a.m.dataId, a.v.dataId];
        const before = tf.memory().numTensors;
        t.true(adamwInPlace(a.p, g, a.m, a.v, h), `n=${n} step ${step} applied`);
        t.is(tf.memory().numTensors, before, 'no tensor made');
        t.deepEqual([a.p.dataId, a.m.dataId, a.v.dataId], ids, 'the variables keep their memory');
        tf.tidy(() => {
          const f = fusedAdamw(b.p, g, b.m, b.v, h)!;
          b.p.assign(f.param);
          b.m.assign(f.m);
          b.v.assign(f.v);
        });
        g.dispose();
      }
      t.deepEqual(read(a.p), read(b.p as tf.Tensor), `n=${n} wd=${weightDecay} param`);
      t.deepEqual(read(a.m), read(b.m as tf.Tensor), `n=${n} wd=${weightDecay} m`);
      t.deepEqual(read(a.v), read(b.v as tf.Tensor), `n=${n} wd=${weightDecay} v`);
      t.notDeepEqual(read(a.p), Array.from(state(n, seed - 1).p.dataSync()), 'the step moved the parameter');
      tf.dispose([a.p, a.m, a.v, b.p, b.m, b.v]);
    }
  }
});

test.serial('refused, with nothing changed, where the old values could be seen or the kernel is absent', async (t) => {
  const h = { ...H, weightDecay: 0.1, t: 1 };
  const s = state(8, 7);
  const g = tf.fill([8], 0.5);
  const unchanged = (why: string, ok: boolean, snapshot: number[][]) => {
    t.false(ok, `${why}: refused`);
    t.deepEqual([read(s.p), read(s.m), read(s.v)], snapshot, `${why}: nothing written`);
  };
  const snap = () => [read(s.p), read(s.m), read(s.v)];
  // A clone (engine.clone, Identity) or a reshape shares the memory: a snapshot must keep its values.
  const before = snap();
  const clone = tf.clone(s.p);
  unchanged('a clone of the parameter is alive', adamwInPlace(s.p, g, s.m, s.v, h), before);
  const flat = tf.reshape(s.v, [2, 4]);
  clone.dispose();
  unchanged('a reshape of v is alive', adamwInPlace(s.p, g, s.m, s.v, h), before);
  flat.dispose();
  // A variable made from a tensor still held shares that tensor's memory.
  const init = tf.zeros([8]);
  const shared = tf.variable(init, false);
  unchanged('m shares a live tensor', adamwInPlace(s.p, g, shared, s.v, h), before);
  unchanged('m and v are one memory', adamwInPlace(s.p, g, s.m, s.m, h), before);
  unchanged('the gradient is the parameter', adamwInPlace(s.p, s.p, s.m, s.v, h), before);
  const short = tf.fill([7], 0.5);
  unchanged('shapes differ', adamwInPlace(s.p, short, s.m, s.v, h), before);
  const ints = tf.zeros([8], 'int32');
  unchanged('an int32 gradient', adamwInPlace(s.p, ints, s.m, s.v, h), before);
  registerGraftKernels('wasm', { fastKernels: false });
  unchanged('graft kernels off', adamwInPlace(s.p, g, s.m, s.v, h), before);
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('cpu');
  const c = state(8, 7);
  const cg = tf.fill([8], 0.5);
  const cpuBefore = [read(c.p), read(c.m), read(c.v)];
  t.false(adamwInPlace(c.p, cg, c.m, c.v, h), 'cpu backend: refused');
  t.deepEqual([read(c.p), read(c.m), read(c.v)], cpuBefore);
  tf.dispose([c.p, c.m, c.v, cg]);
  await tf.setBackend('wasm');
  // Once nothing else holds them: applied.
  t.true(adamwInPlace(s.p, g, s.m, s.v, h));
  t.notDeepEqual(read(s.p), before[0]);
  tf.dispose([s.p, s.m, s.v, g, init, shared, short, ints]);
});

test.serial("XNNPACK's packed copy of a rewritten filter is dropped: the next convolution sees the new values", (t) => {
  const zeros = () => tf.tidy(() => tf.variable(tf.zeros([3, 3, 3, 4]), false));
  const [m, v] = [zeros(), zeros()];
  assertPackedFilterDropped(t, (w, g) => adamwInPlace(w, g, m, v, { ...H, lr: 0.5, weightDecay: 0, t: 1 }));
  tf.dispose([m, v]);
});

test.serial('optimizer:adamw writes in place where it can: the same numbers as where it cannot, held snapshots kept, memory flat', async (t) => {
  const run = (hold: boolean) => optimizerSteps(t, new AdamwOptimizer({ lr: 0.05, weightDecay: 0.1 }), hold);
  const inPlace = await run(false);
  const allocating = await run(true);
  t.deepEqual(inPlace.params, allocating.params, 'parameters bit-identical');
  t.deepEqual(inPlace.state, allocating.state, 'moments bit-identical');
  t.is(Object.keys(inPlace.state).length, 6, 'm and v of three parameters compared');
  t.true(inPlace.counts.every((c) => c === inPlace.counts[0]), `numTensors ${inPlace.counts}`);
  t.is(inPlace.kept, 12, 'in place: every parameter keeps its memory at every step');
  t.is(allocating.kept, 0, 'held: every step gave every parameter new memory');
});
