/**
 * `sgdInPlace` (core/backend/sgdInPlace.ts, module kernels/sgdModule.ts): the SGD step written into
 * the parameter and its momentum buffer. Bit-identical to `sgdUpdate`'s tfjs ops + assign on wasm
 * for every variant, no tensor made, refused (nothing changed) wherever the old values could be
 * seen, and XNNPACK's packed copies of the old values dropped. `optimizer:sgd` uses it: same
 * numbers with and without. Serial: the backend is process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { registerGraftKernels, sgdInPlace } from '../../../core/backend/index.ts';
import { SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { sgdUpdate } from '../../../plugins/optimizers/sgd/sgdUpdate.ts';
import { assertPackedFilterDropped, initBackends, optimizerSteps, prng, randomValues } from './helpers.ts';

test.before(async () => {
  await initBackends();
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('wasm');
});

/** Every update the ops make: plain, momentum, Nesterov, each with and without decay. */
const VARIANTS = [
  { momentum: 0, nesterov: false },
  { momentum: 0.9, nesterov: false },
  { momentum: 0.9, nesterov: true },
].flatMap((m) => [0, 0.1].map((weightDecay) => ({ ...m, weightDecay, lr: 0.05 })));

const name = (h: { momentum: number; nesterov: boolean; weightDecay: number }) =>
  `${h.momentum === 0 ? 'plain' : h.nesterov ? 'nesterov' : 'momentum'} wd=${h.weightDecay}`;

/** A parameter and its buffer from a seed, as variables whose memory is theirs alone. */
function state(n: number, seed: number) {
  const rand = prng(seed);
  const p = randomValues(rand, n, 2);
  const b = randomValues(rand, n, 0.1);
  // Edge values: zeros of both signs, a denormal, near-overflow, infinities and a NaN.
  if (n >= 12) {
    p.set([0, -0, 1e-40, 3e38, -3e38, Infinity, NaN]);
    b.set([-0, 0, 1e-40, 3e38, 0, 1, -Infinity]);
  }
  const mk = (a: Float32Array): tf.Variable => tf.variable(tf.tensor1d(a), false);
  return tf.tidy(() => ({ p: mk(p), b: mk(b) }));
}

function gradient(rand: () => number, n: number): tf.Tensor {
  const g = randomValues(rand, n, 1e-2);
  if (n >= 12) g.set([-0, -0, 1e-40, 3e38, 3e38, 1, 1, NaN, -Infinity, Infinity, 0, 1e30]);
  return tf.tensor1d(g);
}

const read = (x: tf.Tensor) => Array.from(x.dataSync());

/** Equal element by element as Object.is: NaN matches NaN, -0 does not match 0. */
function same(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

test.serial('in place: bit-identical to sgdUpdate + assign on wasm over steps, every variant, any length; nothing allocated', (t) => {
  let seed = 1;
  for (const n of [0, 1, 3, 4, 5, 12, 17, 1000, 65536 + 3]) {
    for (const h of VARIANTS) {
      const a = state(n, seed);
      const b = state(n, seed);
      const start = read(a.p);
      const rand = prng(seed++ + 1000);
      for (let step = 1; step <= 3; step++) {
        const g = gradient(rand, n);
        const ids = [a.p.dataId, a.b.dataId];
        const before = tf.memory().numTensors;
        t.true(sgdInPlace(a.p, g, a.b, h), `n=${n} ${name(h)} step ${step} applied`);
        t.is(tf.memory().numTensors, before, 'no tensor made');
        t.deepEqual([a.p.dataId, a.b.dataId], ids, 'the variables keep their memory');
        tf.tidy(() => {
          const o = sgdUpdate(b.p, g, b.b, h);
          b.p.assign(o.param);
          if (o.buf) b.b.assign(o.buf);
        });
        g.dispose();
      }
      const what = `n=${n} ${name(h)}`;
      t.true(same(read(a.p), read(b.p)), `${what}: param`);
      // Plain SGD has no buffer: the one passed is left as it was, as the ops leave it.
      t.true(same(read(a.b), read(b.b)), `${what}: buffer`);
      if (n > 0) t.false(same(read(a.p), start), `${what}: the step moved the parameter`);
      tf.dispose([a.p, a.b, b.p, b.b]);
    }
  }
});

test.serial('refused, with nothing changed, where the old values could be seen, or off wasm with graft kernels on', async (t) => {
  const h = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.1 };
  const s = state(8, 7);
  const g = tf.fill([8], 0.5);
  const snap = () => [read(s.p), read(s.b)];
  const before = snap();
  const unchanged = (why: string, ok: boolean) => {
    t.false(ok, `${why}: refused`);
    t.deepEqual(snap(), before, `${why}: nothing written`);
  };
  // A clone (engine.clone, Identity) or a reshape shares the memory: a snapshot must keep its values.
  const clone = tf.clone(s.p);
  unchanged('a clone of the parameter is alive', sgdInPlace(s.p, g, s.b, h));
  const flat = tf.reshape(s.b, [2, 4]);
  clone.dispose();
  unchanged('a reshape of the buffer is alive', sgdInPlace(s.p, g, s.b, h));
  flat.dispose();
  // A variable made from a tensor still held shares that tensor's memory.
  const init = tf.zeros([8]);
  const shared = tf.variable(init, false);
  unchanged('the buffer shares a live tensor', sgdInPlace(s.p, g, shared, h));
  unchanged('the buffer is the parameter', sgdInPlace(s.p, g, s.p, h));
  unchanged('the gradient is the parameter', sgdInPlace(s.p, s.p, s.b, h));
  unchanged('the gradient is the buffer', sgdInPlace(s.p, s.b, s.b, h));
  const short = tf.fill([7], 0.5);
  unchanged('the gradient has another shape', sgdInPlace(s.p, short, s.b, h));
  const other = tf.tidy(() => tf.variable(tf.zeros([2, 4]), false));
  unchanged('the buffer has another shape', sgdInPlace(s.p, g, other, h));
  const ints = tf.zeros([8], 'int32');
  unchanged('an int32 gradient', sgdInPlace(s.p, ints, s.b, h));
  const intBuf = tf.tidy(() => tf.variable(tf.zeros([8], 'int32'), false));
  unchanged('an int32 buffer', sgdInPlace(s.p, g, intBuf, h));
  registerGraftKernels('wasm', { fastKernels: false });
  unchanged('graft kernels off', sgdInPlace(s.p, g, s.b, h));
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('cpu');
  const c = state(8, 7);
  const cg = tf.fill([8], 0.5);
  const cpuBefore = [read(c.p), read(c.b)];
  t.false(sgdInPlace(c.p, cg, c.b, h), 'cpu backend: refused');
  t.deepEqual([read(c.p), read(c.b)], cpuBefore);
  tf.dispose([c.p, c.b, cg]);
  await tf.setBackend('wasm');
  // Plain SGD reads no buffer, so a shared one does not stop it (and is not written).
  const plain = { ...h, momentum: 0, nesterov: false };
  const sharedBefore = read(shared);
  t.true(sgdInPlace(s.p, g, shared, plain), 'plain SGD: the buffer is not looked at');
  t.deepEqual(read(shared), sharedBefore);
  t.notDeepEqual(read(s.p), before[0]);
  // Once nothing else holds them: applied, the buffer written too.
  t.true(sgdInPlace(s.p, g, s.b, h));
  t.notDeepEqual(read(s.b), before[1]);
  tf.dispose([s.p, s.b, g, init, shared, short, other, ints, intBuf]);
});

test.serial("XNNPACK's packed copy of a rewritten filter is dropped: the next convolution sees the new values", (t) => {
  const b = tf.tidy(() => tf.variable(tf.zeros([3, 3, 3, 4]), false));
  assertPackedFilterDropped(t, (w, g) => sgdInPlace(w, g, b, { lr: 0.5, momentum: 0.9, nesterov: false, weightDecay: 0 }));
  b.dispose();
});

for (const opts of [{ momentum: 0 }, { momentum: 0.9 }, { momentum: 0.9, nesterov: true }]) {
  test.serial(`optimizer:sgd ${JSON.stringify(opts)} writes in place where it can: the same numbers as where it cannot, no kernel run, memory flat`, async (t) => {
    const run = (hold: boolean) => optimizerSteps(t, new SgdOptimizer({ lr: 0.05, weightDecay: 0.1, ...opts }), hold);
    const inPlace = await run(false);
    const allocating = await run(true);
    t.deepEqual(inPlace.params, allocating.params, 'parameters bit-identical');
    t.deepEqual(inPlace.state, allocating.state, 'momentum buffers bit-identical');
    t.is(Object.keys(inPlace.state).length, opts.momentum === 0 ? 0 : 3, 'a buffer for each of three parameters with momentum');
    t.true(inPlace.counts.every((c) => c === inPlace.counts[0]), `numTensors ${inPlace.counts}`);
    // The first step makes the buffers (zeros); after it, no kernel and no tensor at all.
    t.deepEqual(inPlace.kernels.slice(1), [0, 0, 0], `kernels + new tensors a step ${inPlace.kernels}`);
    t.true(allocating.kernels.every((k) => k > 0), `the allocating path runs kernels: ${allocating.kernels}`);
    t.is(inPlace.kept, 12, 'in place: every parameter keeps its memory at every step');
    t.is(allocating.kept, 0, 'held: every step gave every parameter new memory');
  });
}
