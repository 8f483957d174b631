/**
 * The LSTM recurrence on wasm with graft's fused kernels (core/backend/fusedLstm.ts) against the
 * composed tfjs ops (model:awd-lstm's lstmLayer on cpu, autodiff for the gradients): values and
 * gradients of x, W_ih, W_hh and the bias within float32 rounding, T = 1 included; no tensors
 * leaked. Serial: the active backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { fusedLstm, registerGraftKernels } from '../../../core/backend/index.ts';
import { lstmLayer } from '../../../plugins/models/index.ts';
import { initBackends, liveCounts, prng, randomValues, runAll } from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

/** Whether fusedLstm takes a [T, B, 4H] input on the active backend (a tensor, not null). */
function hasFusedPath(T: number, B: number, H: number): boolean {
  let taken = false;
  tf.tidy(() => {
    taken = fusedLstm(tf.zeros([T, B, 4 * H]), tf.zeros([H, 4 * H])) !== null;
  });
  return taken;
}

function layerInputs(B: number, T: number, In: number, H: number, seed: number) {
  const r = prng(seed);
  return {
    x: randomValues(r, B * T * In, 1.5),
    wih: randomValues(r, In * 4 * H, 0.6),
    whh: randomValues(r, H * 4 * H, 0.6),
    bias: randomValues(r, 4 * H, 0.5),
    dy: randomValues(r, B * T * H, 1),
  };
}

/** The layer's output and the gradients of sum(out * dy) with respect to x, wih, whh, bias. */
function layerAndGrads(B: number, T: number, In: number, H: number, v: ReturnType<typeof layerInputs>): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor3d(v.x, [B, T, In]);
    const wih = tf.tensor2d(v.wih, [In, 4 * H]);
    const whh = tf.tensor2d(v.whh, [H, 4 * H]);
    const bias = tf.tensor1d(v.bias);
    const dy = tf.tensor3d(v.dy, [B, T, H]);
    const out = lstmLayer(x, { wih, whh, bias });
    // With T = 1 the ops never touch W_hh (h_0 = 0): autodiff has no gradient for it, the fused kernel gives zeros.
    if (T === 1) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(lstmLayer(a, { wih: b, whh, bias: d }), dy)))([x, wih, bias]);
      return [out, ...grads];
    }
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(lstmLayer(a, { wih: b, whh: c, bias: d }), dy)))([x, wih, whh, bias]);
    return [out, ...grads];
  };
}



for (const [B, T, In, H] of [[3, 7, 5, 4], [16, 12, 24, 32], [2, 1, 3, 5]] as const) {
  test.serial(`fused LSTM [B ${B}, T ${T}, in ${In}, H ${H}]: values and gradients equal the composed ops within float32 rounding`, async (t) => {
    const v = layerInputs(B, T, In, H, B * 100 + T);
    const f = layerAndGrads(B, T, In, H, v);
    await tf.setBackend('wasm');
    t.true(hasFusedPath(T, B, H), 'wasm with graft kernels has the fused path');
    const fused = await runAll('wasm-graft', f);
    const ops = await runAll('cpu-stock', f);
    const NAMES = T === 1 ? ['h', 'dx', 'dW_ih', 'db'] : ['h', 'dx', 'dW_ih', 'dW_hh', 'db'];
    fused.forEach((r, k) => {
      t.deepEqual(r.shape, ops[k]!.shape, NAMES[k]);
      const scale = Math.max(1, ...ops[k]!.values.map(Math.abs));
      const worst = Math.max(...r.values.map((x, i) => Math.abs(x - ops[k]!.values[i]!)));
      t.true(worst / scale < 2e-5, `${NAMES[k]}: max |fused - ops| = ${worst} (scale ${scale})`);
    });
  });
}

test.serial('the fused path is wasm with graft kernels only: elsewhere null, and the layer composes ops', async (t) => {
  await tf.setBackend('cpu');
  t.false(hasFusedPath(2, 1, 2));
  await tf.setBackend('wasm');
  t.true(hasFusedPath(2, 1, 2));
  t.throws(() => tf.tidy(() => { fusedLstm(tf.zeros([2, 1, 8]), tf.zeros([3, 8])); }), { message: /whh \[3,8\] does not match xproj/ });
});

test.serial('fused LSTM leaks no tensors, forward or backward', async (t) => {
  await tf.setBackend('wasm');
  const v = layerInputs(4, 6, 3, 8, 9);
  const x = tf.tensor3d(v.x.slice(0, 4 * 6 * 3), [4, 6, 3]);
  const w = { wih: tf.tensor2d(v.wih.slice(0, 3 * 32), [3, 32]), whh: tf.tensor2d(v.whh.slice(0, 8 * 32), [8, 32]), bias: tf.tensor1d(v.bias.slice(0, 32)) };
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(lstmLayer(a, { ...w, whh: b })));
  tf.tidy(() => g([x, w.whh]));
  const before = liveCounts();
  for (let i = 0; i < 3; i++) {
    // As a model runs it: inside a scope (the saved states and gates must not outlive it).
    tf.tidy(() => lstmLayer(x, w)).dispose();
    tf.dispose(tf.tidy(() => g([x, w.whh])));
  }
  t.deepEqual(liveCounts(), before);
  tf.dispose([x, w.wih, w.whh, w.bias]);
});
