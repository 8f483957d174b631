import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GraftError } from '../../../core/index.ts';
import { SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { close, grads, makeStore, values } from './helpers.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const G = [[0.5, -1], [0.2, 0.3], [-0.4, 0.9]];

/** Three steps of PyTorch-style SGD on one element, in plain arithmetic. */
function hand(p0: number, gs: number[], lr: number, mu: number, nesterov: boolean, wd: number): number {
  let p = p0;
  let b = 0;
  for (const g0 of gs) {
    const g = g0 + wd * p;
    b = mu * b + g;
    const d = nesterov ? g + mu * b : b;
    p = p - lr * d;
  }
  return p;
}

for (const nesterov of [false, true]) {
  test(`SGD momentum${nesterov ? ' (Nesterov)' : ''} matches the hand computation over three steps`, (t) => {
    const { store, ctx } = makeStore({ 'a.w': { values: [1, -2], decay: true } });
    const opt = new SgdOptimizer({ lr: 0.1, momentum: 0.9, nesterov });
    for (const g of G) tf.tidy(() => opt.step(grads({ 'a.w': g }), ctx));
    const exp = [0, 1].map((i) => hand([1, -2][i]!, G.map((g) => g[i]!), 0.1, 0.9, nesterov, 0));
    t.true(close(values(store, 'a.w'), exp), `${values(store, 'a.w')} vs ${exp}`);
    opt.dispose();
    store.dispose();
  });
}

test('L2 weight decay goes into the gradient, and only for decay: true parameters', (t) => {
  const { store, ctx } = makeStore({ 'a.w': { values: [1, -2], decay: true }, 'a.b': { values: [1, -2], decay: false } });
  const opt = new SgdOptimizer({ lr: 0.1, momentum: 0.5, weightDecay: 0.1 });
  for (const g of G) tf.tidy(() => opt.step(grads({ 'a.w': g, 'a.b': g }), ctx));
  const w = [0, 1].map((i) => hand([1, -2][i]!, G.map((g) => g[i]!), 0.1, 0.5, false, 0.1));
  const b = [0, 1].map((i) => hand([1, -2][i]!, G.map((g) => g[i]!), 0.1, 0.5, false, 0));
  t.true(close(values(store, 'a.w'), w));
  t.true(close(values(store, 'a.b'), b));
  opt.dispose();
  store.dispose();
});

test('plain SGD (momentum 0) keeps no state; group lrScale scales the step', (t) => {
  const { store, ctx } = makeStore({ 'body.w': { values: [1, 1], decay: true }, 'head.w': { values: [1, 1], decay: true } });
  const opt = new SgdOptimizer({ lr: 0.5, momentum: 0, groups: [{ name: 'body', pattern: 'body.**', lrScale: 0.25 }] });
  tf.tidy(() => opt.step(grads({ 'body.w': [1, -2], 'head.w': [1, -2] }), ctx));
  t.true(close(values(store, 'body.w'), [1 - 0.125, 1 + 0.25]));
  t.true(close(values(store, 'head.w'), [1 - 0.5, 1 + 1]));
  t.deepEqual(opt.getState().tensors, {});
  t.deepEqual(opt.groupRates(), { body: 0.125, default: 0.5 });
  opt.dispose();
  store.dispose();
});

test('momentum buffers do not leak across steps', (t) => {
  const { store, ctx } = makeStore({ 'a.w': { values: [1, -2], decay: true } });
  const opt = new SgdOptimizer({ lr: 0.1, nesterov: true, weightDecay: 0.01 });
  tf.tidy(() => opt.step(grads({ 'a.w': [1, 1] }), ctx));
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) tf.tidy(() => opt.step(grads({ 'a.w': [i, 1] }), ctx));
  t.is(tf.memory().numTensors, n0);
  t.deepEqual(Object.keys(opt.getState().tensors!), ['momentum/a.w']);
  opt.dispose();
  store.dispose();
});

test('a step outside any scope leaves only its state behind, for every form (cpu: the ops path)', (t) => {
  // No tf.tidy around the steps: the optimizer itself must free sgdUpdate's outputs once assigned.
  for (const o of [{ momentum: 0 }, { momentum: 0.9 }, { momentum: 0.9, nesterov: true, weightDecay: 0.01 }]) {
    const { store, ctx } = makeStore({ 'a.w': { values: [1, -2], decay: true }, 'b.w': { values: [3], decay: false } });
    const opt = new SgdOptimizer({ lr: 0.1, ...o });
    const step = (i: number) => {
      const g = grads({ 'a.w': [i, 1], 'b.w': [2] });
      opt.step(g, ctx);
      tf.dispose(Object.values(g));
    };
    step(0); // makes the momentum buffers, if any
    const n0 = tf.memory().numTensors;
    for (let i = 1; i < 5; i++) step(i);
    t.is(tf.memory().numTensors, n0, JSON.stringify(o));
    t.is(n0, store.names().length * (o.momentum > 0 ? 2 : 1), JSON.stringify(o));
    opt.dispose();
    store.dispose();
  }
});

test('bad options name the option', (t) => {
  const bad = (o: object, option: string) => {
    const e = t.throws(() => new SgdOptimizer(o as never), { instanceOf: GraftError });
    t.true(e!.message.includes(`option "${option}"`) && e!.message.includes('optimizer:sgd'), e!.message);
  };
  bad({ momentum: 1 }, 'momentum');
  bad({ momentum: 0, nesterov: true }, 'nesterov');
  bad({ lr: 'fast' }, 'lr');
  bad({ weightDecay: -1 }, 'weightDecay');
});
