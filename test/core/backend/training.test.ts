/**
 * End to end through gradients: the kernels graft adds/replaces on wasm must make training on
 * wasm match training on the stock cpu backend.
 */
import test from 'ava';
import '@tensorflow/tfjs'; // registers the gradient functions (tfjs-core alone has none)
import * as tf from '@tensorflow/tfjs-core';
import { registerGraftKernels } from '../../../core/backend/index.ts';
import { assertClose, initBackends, liveCounts, prng, randomValues, run } from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

test.serial('gradient of gather (embedding lookup) on wasm equals cpu', async t => {
  const rand = prng(31);
  const table = randomValues(rand, 50 * 8);
  const weights = randomValues(rand, 3 * 4 * 8);
  const ids = [[1, 7, 7, 49], [0, 1, 1, 1], [12, 7, 3, 49]];
  for (const axis of [0, 1]) {
    const f = () => {
      const x = axis === 0 ? tf.tensor2d(table, [50, 8]) : tf.transpose(tf.tensor2d(table, [50, 8]));
      const idx = tf.tensor2d(ids, [3, 4], 'int32');
      return tf.grad((v: tf.Tensor) => {
        const g = tf.gather(v, idx, axis);
        const w = axis === 0 ? tf.tensor(weights, [3, 4, 8]) : tf.transpose(tf.tensor(weights, [3, 4, 8]), [2, 0, 1]);
        return tf.sum(tf.mul(g, w));
      })(x);
    };
    assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), `gather grad axis ${axis}`, 1e-5, 1e-5);
  }
});

test.serial('conv2d filter gradient (missing on stock wasm) equals cpu', async t => {
  const rand = prng(37);
  const x = randomValues(rand, 2 * 6 * 6 * 3);
  const w = randomValues(rand, 3 * 3 * 3 * 4);
  const f = () => tf.grad((filter: tf.Tensor) => tf.sum(tf.square(
    tf.conv2d(tf.tensor4d(x, [2, 6, 6, 3]), filter as tf.Tensor4D, 1, 'same'))))(tf.tensor4d(w, [3, 3, 3, 4]));
  assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), 'conv2d dW', 1e-4, 1e-4);
});

/**
 * Embedding -> tanh(dense) -> one self-attention step -> mean-pooled logits -> softmax
 * cross-entropy, 5 SGD steps. Exercises gather and its gradient (UnsortedSegmentSum), plain,
 * transposed and batched matmuls (16x16x16 per batch: graft's per-batch GEMM path), Sum over
 * leading axes (bias / broadcast gradients), Tanh and OneHot(float32).
 */
async function trainLosses(backend: 'wasm' | 'cpu'): Promise<number[]> {
  await tf.setBackend(backend);
  const rand = prng(41);
  const vocab = 40;
  const dim = 12;
  const hidden = 16;
  const classes = 5;
  const batch = 6;
  const seq = 16;
  // Built in a tidy so the initial values and index tensors do not outlive the function.
  const { emb, w1, b1, w2, b2, tokens, labels } = tf.tidy(() => ({
    emb: tf.variable(tf.tensor2d(randomValues(rand, vocab * dim, 0.5), [vocab, dim])),
    w1: tf.variable(tf.tensor2d(randomValues(rand, dim * hidden, 0.4), [dim, hidden])),
    b1: tf.variable(tf.zeros([hidden])),
    w2: tf.variable(tf.tensor2d(randomValues(rand, hidden * classes, 0.4), [hidden, classes])),
    b2: tf.variable(tf.zeros([classes])),
    tokens: tf.tensor2d(Array.from({ length: batch * seq }, () => Math.floor(rand() * vocab)), [batch, seq], 'int32'),
    labels: tf.oneHot(tf.tensor1d(Array.from({ length: batch }, () => Math.floor(rand() * classes)), 'int32'),
      classes, 1, 0, 'float32'),
  }));
  const forward = () => {
    const x = tf.reshape(tf.gather(emb, tokens), [batch * seq, dim]);
    const h = tf.reshape(tf.tanh(tf.add(tf.matMul(x, w1), b1)), [batch, seq, hidden]);
    const scores = tf.div(tf.matMul(h, h, false, true), Math.sqrt(hidden)); // [batch, seq, seq]
    const ctx = tf.matMul(tf.softmax(scores), h); // [batch, seq, hidden]
    const logits = tf.add(tf.matMul(tf.mean(ctx, 1), w2), b2);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  };
  const vars = [emb, w1, b1, w2, b2];
  const losses: number[] = [];
  const lr = 0.5;
  for (let step = 0; step < 5; step++) {
    const { value, grads } = tf.variableGrads(forward, vars);
    losses.push(value.dataSync()[0]);
    tf.tidy(() => {
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
    });
    tf.dispose([value, ...Object.values(grads)]);
  }
  tf.dispose([...vars, tokens, labels]);
  return losses;
}

test.serial('tiny training loop: wasm losses equal cpu losses (5 SGD steps)', async t => {
  const cpu = await trainLosses('cpu');
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('wasm');
  const before = liveCounts();
  const wasm = await trainLosses('wasm');
  t.deepEqual(liveCounts(), before, 'training leaked tensors on wasm');
  t.true(cpu[4] < cpu[0], `loss should decrease: ${cpu}`);
  t.log(`cpu ${cpu.map(l => l.toFixed(6))}; wasm ${wasm.map(l => l.toFixed(6))}`);
  for (let i = 0; i < cpu.length; i++) {
    const rel = Math.abs(wasm[i] - cpu[i]) / Math.abs(cpu[i]);
    t.true(rel <= 1e-4, `step ${i}: wasm ${wasm[i]} vs cpu ${cpu[i]} (rel ${rel})`);
  }
});
