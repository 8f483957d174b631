/**
 * rowNll, the fused softmax cross-entropy under the next-token and masked-LM objectives: values and
 * gradient against float64 JS, finite differences, and tfjs autodiff through tf.logSoftmax, on cpu
 * and on wasm with graft's kernels; and no tensors kept across training steps.
 * Serial: the backend is process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../../../core/index.ts';
import { rowNll, tokenCrossEntropy } from '../../../plugins/objectives/index.ts';
import { prng } from '../../core/backend/helpers.ts';

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

function randomCase(seed: number, N: number, V: number, scale: number) {
  const rand = prng(seed);
  const x = Float32Array.from({ length: N * V }, () => (rand() * 2 - 1) * scale);
  const tg = Int32Array.from({ length: N }, () => Math.floor(rand() * V));
  const dy = Float32Array.from({ length: N }, () => rand() * 2 - 0.5);
  return { x, tg, dy };
}

/** nll per row and d(sum(nll * dy))/dx in float64. */
function reference(x: Float32Array, tg: Int32Array, dy: Float32Array, N: number, V: number) {
  const nll = new Float64Array(N);
  const grad = new Float64Array(N * V);
  for (let i = 0; i < N; i++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, x[i * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(x[i * V + v] - m);
    nll[i] = Math.log(s) + m - x[i * V + tg[i]];
    for (let v = 0; v < V; v++) grad[i * V + v] = (Math.exp(x[i * V + v] - m) / s - (v === tg[i] ? 1 : 0)) * dy[i];
  }
  return { nll, grad };
}

/** The unfused formulation: autodiff through tf.logSoftmax and a one-hot product. */
const autodiffNll = (x: tf.Tensor2D, tg: tf.Tensor1D) =>
  tf.neg(tf.sum(tf.mul(tf.logSoftmax(x), tf.oneHot(tg, x.shape[1], 1, 0, 'float32')), 1));

function valueAndGrad(f: (x: tf.Tensor2D, tg: tf.Tensor1D) => tf.Tensor, c: ReturnType<typeof randomCase>, N: number, V: number) {
  return tf.tidy(() => {
    const tg = tf.tensor1d(c.tg, 'int32');
    const dy = tf.tensor1d(c.dy);
    const x = tf.tensor2d(c.x, [N, V]);
    const nll = f(x, tg).dataSync();
    const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(f(z as tf.Tensor2D, tg), dy)))(x).dataSync();
    return { nll: Float32Array.from(nll), grad: Float32Array.from(g) };
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, rel = 0): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + rel * Math.abs(b[i])));
  return worst;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test.serial(`${backend}: values and gradient match float64 and autodiff through logSoftmax`, async t => {
    await tf.setBackend(backend);
    for (const [N, V, scale] of [[5, 7, 3], [64, 1000, 8], [3, 50, 60]] as const) {
      const c = randomCase(N * 1000 + V, N, V, scale);
      const ref = reference(c.x, c.tg, c.dy, N, V);
      const got = valueAndGrad(rowNll, c, N, V);
      const auto = valueAndGrad(autodiffNll, c, N, V);
      // nll up to ~ |x| * float32 eps; gradients are probabilities times dy (|dy| < 1.5).
      t.true(maxDiff(got.nll, ref.nll, 1) < 1e-5, `[${N},${V}] nll vs float64: ${maxDiff(got.nll, ref.nll, 1)}`);
      t.true(maxDiff(got.grad, ref.grad) < 1e-6, `[${N},${V}] grad vs float64: ${maxDiff(got.grad, ref.grad)}`);
      t.true(maxDiff(got.nll, auto.nll, 1) < 1e-5, `[${N},${V}] nll vs autodiff: ${maxDiff(got.nll, auto.nll, 1)}`);
      t.true(maxDiff(got.grad, auto.grad) < 1e-6, `[${N},${V}] grad vs autodiff: ${maxDiff(got.grad, auto.grad)}`);
    }
  });

  test.serial(`${backend}: gradient matches central finite differences of the loss`, async t => {
    await tf.setBackend(backend);
    const N = 4;
    const V = 6;
    const c = randomCase(17, N, V, 2);
    const { grad } = valueAndGrad(rowNll, c, N, V);
    const loss = (x: Float32Array) => tf.tidy(() =>
      tf.sum(tf.mul(rowNll(tf.tensor2d(x, [N, V]), tf.tensor1d(c.tg, 'int32')), tf.tensor1d(c.dy))).dataSync()[0]);
    const h = 1e-2;
    let worst = 0;
    for (let i = 0; i < N * V; i++) {
      const up = c.x.slice();
      const down = c.x.slice();
      up[i] += h;
      down[i] -= h;
      worst = Math.max(worst, Math.abs((loss(up) - loss(down)) / (2 * h) - grad[i]));
    }
    // O(h^2) truncation plus float32 rounding of the loss over 2h: ~1e-4.
    t.true(worst < 1e-3, `max |fd - grad| ${worst}`);
  });

  test.serial(`${backend}: tokenCrossEntropy training steps keep the tensor count flat`, async t => {
    await tf.setBackend(backend);
    const N = 32;
    const V = 40;
    const c = randomCase(5, N, V, 1);
    const w = tf.variable(tf.tensor2d(c.x, [N, V]));
    const targets = tf.tensor2d(c.tg, [4, 8], 'int32');
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.tensor2d(c.dy, [4, 8]), 0), 'float32'));
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tokenCrossEntropy(tf.reshape(w, [4, 8, V]), targets, mask, 3));
      w.assign(tf.sub(w, tf.mul(grads[w.name]!, 0.5)));
      return value.dataSync()[0];
    });
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 5; i++) last = step();
    t.is(tf.memory().numTensors, before);
    t.true(last < first, `loss decreases: ${first} -> ${last}`);
    tf.dispose([w, targets, mask]);
  });
}
