import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraftError } from '../../../core/index.ts';
import { AdamwOptimizer, adamwUpdate } from '../../../plugins/optimizers/index.ts';
import { close, grads, makeStore, values } from './helpers.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('two AdamW steps match the hand-computed update, decay only where decay is true', (t) => {
  const { store, ctx } = makeStore({ 'a.kernel': { values: [1, -2], decay: true }, 'a.bias': { values: [0.5, 0.25], decay: false } });
  const opt = new AdamwOptimizer({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const g1 = [0.5, -1];
  const g2 = [0.1, 0.3];
  tf.tidy(() => opt.step(grads({ 'a.kernel': g1, 'a.bias': g1 }), ctx));
  tf.tidy(() => opt.step(grads({ 'a.kernel': g2, 'a.bias': g2 }), ctx));

  // By hand, element by element: m, v, bias correction, decoupled decay.
  const lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const expected = (p0: number, ga: number, gb: number, wd: number) => {
    let p = p0;
    const m1 = (1 - b1) * ga;
    const v1 = (1 - b2) * ga * ga;
    p = p - lr * (m1 / (1 - b1) / (Math.sqrt(v1 / (1 - b2)) + eps) + wd * p);
    const m2 = b1 * m1 + (1 - b1) * gb;
    const v2 = b2 * v1 + (1 - b2) * gb * gb;
    p = p - lr * (m2 / (1 - b1 * b1) / (Math.sqrt(v2 / (1 - b2 * b2)) + eps) + wd * p);
    return p;
  };
  const kernel = [expected(1, 0.5, 0.1, 0.01), expected(-2, -1, 0.3, 0.01)];
  const bias = [expected(0.5, 0.5, 0.1, 0), expected(0.25, -1, 0.3, 0)];
  t.true(close(values(store, 'a.kernel'), kernel), `${values(store, 'a.kernel')} vs ${kernel}`);
  t.true(close(values(store, 'a.bias'), bias), `${values(store, 'a.bias')} vs ${bias}`);
  opt.dispose();
  store.dispose();
});

test('adamwUpdate is pure: inputs unchanged, one step equals the formula', (t) => {
  const p = tf.tensor1d([2, 3]);
  const g = tf.tensor1d([-0.2, 0.4]);
  const m = tf.tensor1d([0.1, 0.1]);
  const v = tf.tensor1d([0.01, 0.04]);
  const out = adamwUpdate(p, g, m, v, { lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-6, weightDecay: 0.1, t: 3 });
  const hand = [0, 1].map((i) => {
    const [p0, g0, m0, v0] = [[2, 3][i]!, [-0.2, 0.4][i]!, 0.1, [0.01, 0.04][i]!];
    const m1 = 0.8 * m0 + 0.2 * g0;
    const v1 = 0.9 * v0 + 0.1 * g0 * g0;
    return p0 - 0.01 * (m1 / (1 - 0.8 ** 3) / (Math.sqrt(v1 / (1 - 0.9 ** 3)) + 1e-6) + 0.1 * p0);
  });
  t.true(close(Array.from(out.param.dataSync()), hand));
  t.deepEqual(Array.from(p.dataSync()), [2, 3]);
  tf.dispose([p, g, m, v, out.param, out.m, out.v]);
});

test('group lrScale and weightDecay override are honoured; first matching group wins', (t) => {
  const { store, ctx } = makeStore({
    'backbone.w': { values: [1, 1], decay: true },
    'head.w': { values: [1, 1], decay: true },
    'other.w': { values: [1, 1], decay: true },
  });
  const opt = new AdamwOptimizer({
    lr: 0.1,
    weightDecay: 0,
    groups: [
      { name: 'body', pattern: 'backbone.**', lrScale: 0.5, weightDecay: 0.2 },
      { name: 'late', pattern: ['head.**', 'backbone.**'], lrScale: 2 },
    ],
  });
  tf.tidy(() => opt.step(grads({ 'backbone.w': [1, -1], 'head.w': [1, -1], 'other.w': [1, -1] }), ctx));
  // First step: m̂/(√v̂+eps) = g/|g| (up to eps), so p = p - lr*scale*(sign(g) + wd*p).
  const s = 1 / (1 + 1e-8);
  t.true(close(values(store, 'backbone.w'), [1 - 0.05 * (s + 0.2), 1 - 0.05 * (-s + 0.2)]));
  t.true(close(values(store, 'head.w'), [1 - 0.2 * s, 1 + 0.2 * s]));
  t.true(close(values(store, 'other.w'), [1 - 0.1 * s, 1 + 0.1 * s]));
  t.is(opt.groupOf('backbone.w'), 'body');
  t.is(opt.groupOf('head.w'), 'late');
  t.is(opt.groupOf('other.w'), 'default');
  const rates = opt.groupRates();
  t.is(rates.body, 0.05);
  t.is(rates.late, 0.2);
  t.is(rates.default, 0.1);
  opt.dispose();
  store.dispose();
});

test('each step reads the groups as they are: replaced through `groups`, or a spec changed in place', (t) => {
  const { store, ctx } = makeStore({ 'backbone.w': { values: [1, 1], decay: true }, 'head.w': { values: [1, 1], decay: true } });
  const opt = new AdamwOptimizer({ lr: 0.1, weightDecay: 0, groups: [{ name: 'head', pattern: 'head.**', lrScale: 1 }] });
  const step = () => tf.tidy(() => opt.step(grads({ 'backbone.w': [1, -1], 'head.w': [1, -1] }), ctx));
  step();
  const head1 = values(store, 'head.w');
  const body1 = values(store, 'backbone.w');
  // In place: a rate of 0 leaves the head where it is; the rest still moves.
  opt.groups[0]!.lrScale = 0;
  step();
  t.deepEqual(values(store, 'head.w'), head1);
  t.notDeepEqual(values(store, 'backbone.w'), body1);
  // Through the setter: the head moves again, at twice the base rate (first-step-like sign(g) steps).
  opt.groups = [{ name: 'head', pattern: 'head.**', lrScale: 2 }];
  step();
  const moved = values(store, 'head.w').map((v, i) => v - head1[i]!);
  t.true(moved[0]! < -0.1 && moved[1]! > 0.1, `head moved ${moved}`);
  opt.dispose();
  store.dispose();
});

test('only parameters with a gradient are updated (no decay on frozen ones), and no tensor leaks', (t) => {
  const { store, ctx } = makeStore({ 'a.w': { values: [1, 2], decay: true }, 'b.w': { values: [3, 4], decay: true } });
  const opt = new AdamwOptimizer({ lr: 0.1, weightDecay: 0.5 });
  const before = values(store, 'b.w');
  tf.tidy(() => opt.step(grads({ 'a.w': [1, 1] }), ctx));
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    tf.tidy(() => opt.step(grads({ 'a.w': [0.1 * i, -0.2] }), ctx));
    counts.push(tf.memory().numTensors);
  }
  t.deepEqual(values(store, 'b.w'), before);
  t.notDeepEqual(values(store, 'a.w'), [1, 2]);
  t.is(opt.slotCount, 1);
  t.true(counts.every((c) => c === counts[0]), `numTensors ${counts}`);
  opt.dispose();
  t.is(tf.memory().numTensors, counts[0]! - 2);
  store.dispose();
});

test('getState → setState → steps is bit-identical to an uninterrupted optimizer', (t) => {
  const init = { 'x.w': { values: [0.3, -0.7], decay: true }, 'x.b': { values: [0.1, 0.2], decay: false } };
  const seq = [[0.5, -1], [0.2, 0.3], [-0.4, 0.9], [1.5, 0.1]];
  const a = makeStore(init);
  const optA = new AdamwOptimizer({ lr: 0.05 });
  for (const g of seq) tf.tidy(() => optA.step(grads({ 'x.w': g, 'x.b': g }), a.ctx));

  const b = makeStore(init);
  const optB = new AdamwOptimizer({ lr: 0.05 });
  for (const g of seq.slice(0, 2)) tf.tidy(() => optB.step(grads({ 'x.w': g, 'x.b': g }), b.ctx));
  const saved = optB.getState();
  // As a checkpoint does: copy tensors out, JSON round-trip, hand copies in, dispose them after.
  const json = JSON.parse(JSON.stringify(saved.json));
  const tensors = Object.fromEntries(Object.entries(saved.tensors!).map(([k, v]) => [k, tf.tensor(v.dataSync(), v.shape)]));
  t.deepEqual(Object.keys(tensors).sort(), ['m/x.b', 'm/x.w', 'v/x.b', 'v/x.w']);
  const c = makeStore(init);
  for (const n of ['x.w', 'x.b']) c.store.get(n).assign(b.store.get(n));
  const optC = new AdamwOptimizer({ lr: 0.05 });
  optC.apply({ params: c.store, tap: () => {}, logger: { warn: () => {} } } as never);
  optC.setState({ json, tensors });
  tf.dispose(Object.values(tensors));
  for (const g of seq.slice(2)) tf.tidy(() => optC.step(grads({ 'x.w': g, 'x.b': g }), c.ctx));
  for (const n of ['x.w', 'x.b']) t.deepEqual(values(c.store, n), values(a.store, n), n);
  for (const o of [optA, optB, optC]) o.dispose();
  for (const s of [a, b, c]) s.store.dispose();
});

test('groups are resolved again when parameters are added (LoRA mid-run)', (t) => {
  const { store, ctx } = makeStore({ 'a.w': { values: [1, 1], decay: false } });
  const opt = new AdamwOptimizer({ lr: 0.1, groups: [{ name: 'lora', pattern: '**.lora_a', lrScale: 3 }] });
  const rates = opt.groupRates();
  t.deepEqual(Object.keys(rates).sort(), ['default', 'lora']);
  t.true(Math.abs(rates.lora! - 0.3) < 1e-15 && rates.default === 0.1);
  tf.tidy(() => opt.step(grads({ 'a.w': [1, 1] }), ctx));
  store.create('a.lora_a', [2], Float32Array.from([0, 0]), { decay: false });
  tf.tidy(() => opt.step(grads({ 'a.lora_a': [1, -1] }), ctx));
  const s = 0.3 / (1 + 1e-8);
  t.true(close(values(store, 'a.lora_a'), [-s, s]));
  t.is(opt.groupOf('a.lora_a'), 'lora');
  opt.dispose();
  store.dispose();
});

test('bad options name the option', (t) => {
  const bad = (o: object, option: string) => {
    const e = t.throws(() => new AdamwOptimizer(o as never), { instanceOf: GraftError });
    t.true(e!.message.includes(`option "${option}"`), e!.message);
    t.true(e!.message.includes('optimizer:adamw'), e!.message);
  };
  bad({ lr: -1 }, 'lr');
  bad({ beta1: 1 }, 'beta1');
  bad({ beta2: 1.5 }, 'beta2');
  bad({ eps: 0 }, 'eps');
  bad({ weightDecay: -0.1 }, 'weightDecay');
  bad({ lrr: 1 }, 'lrr');
  bad({ groups: {} }, 'groups');
  bad({ groups: [{ name: 'x' }] }, 'groups');
  bad({ groups: [{ name: 'x', pattern: 'a.**', lrScale: -1 }] }, 'groups');
  bad({ groups: [{ name: 'default', pattern: 'a.**' }] }, 'groups');
  bad({ groups: [{ name: 'x', pattern: 'a.**' }, { name: 'x', pattern: 'b.**' }] }, 'groups');
  const opt = new AdamwOptimizer();
  t.throws(() => (opt.groups = [{ name: 'y', pattern: '' }]), { message: /option "groups"/ });
});
