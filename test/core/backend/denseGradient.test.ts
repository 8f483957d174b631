/**
 * GraftDense in training (core/backend/denseMatMul.ts, kernels/Dense.ts): its registered gradient
 * against tf.fused.matMul's on the same inputs, bit for bit (dx, dw, dbias; with and without a
 * bias; a shape with column tails), the kernel calls it saves, a frozen weight costing no weight
 * product, and no tensor left behind. Serial: the kernel registry is process-global.
 */
import test from 'ava';
import '../../../core/runtime/registerGradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import { BatchMatMul } from '@tensorflow/tfjs-core';
import { denseMatMul, registerGraftKernels } from '../../../core/backend/index.ts';
import { initBackends, liveCounts, prng, randomValues } from './helpers.ts';
import { kernelsRunBy } from '../../helpers/kernelsRun.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
  await tf.setBackend('wasm');
});

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

for (const [M, K, N] of [[64, 48, 40], [37, 19, 13]] as const) {
  for (const withBias of [true, false]) {
    test.serial(`[${M}, ${K}] x [${K}, ${N}]${withBias ? ' + bias' : ''}: value and gradients bit-identical to tf.fused.matMul`, (t) => {
      const rand = prng(M * 7 + N + (withBias ? 1 : 0));
      const x = tf.tensor2d(randomValues(rand, M * K), [M, K]);
      const w = tf.tensor2d(randomValues(rand, K * N), [K, N]);
      const b = tf.tensor1d(randomValues(rand, N));
      const up = tf.tensor2d(randomValues(rand, M * N), [M, N]);
      const before = liveCounts();
      // A loss that weighs every output differently, so dy is not uniform.
      const loss = (f: (x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor) => tf.Tensor) => (...args: tf.Tensor[]) =>
        tf.sum(tf.mul(f(args[0] as tf.Tensor2D, args[1] as tf.Tensor2D, args[2]), up));
      const inputs = withBias ? [x, w, b] : [x, w];
      const ours = tf.grads(loss(denseMatMul))(inputs);
      const theirs = tf.grads(loss((a, bb, bias) => tf.fused.matMul({ a, b: bb, bias }) as tf.Tensor2D))(inputs);
      for (let i = 0; i < (withBias ? 3 : 2); i++) t.deepEqual(bits(ours[i]!), bits(theirs[i]!), ['dx', 'dw', 'dbias'][i]);
      tf.tidy(() => t.deepEqual(bits(denseMatMul(x, w, withBias ? b : undefined)), bits(tf.fused.matMul({ a: x, b: w, bias: withBias ? b : undefined }))));
      tf.dispose([...ours, ...theirs]);
      t.deepEqual(liveCounts(), before, 'no tensor left behind');
      tf.dispose([x, w, b, up]);
    });
  }
}

test.serial('a training step of a dense layer: 8 or more kernel calls fewer than tf.fused.matMul; a frozen weight runs no weight product', (t) => {
  const rand = prng(3);
  const x = tf.variable(tf.tensor2d(randomValues(rand, 32 * 16), [32, 16]));
  const w = tf.variable(tf.tensor2d(randomValues(rand, 16 * 8), [16, 8]));
  const b = tf.variable(tf.tensor1d(randomValues(rand, 8)));
  const step = (vars: tf.Variable[], dense: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor) => tf.Tensor) => kernelsRunBy(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(dense(x, w, b)) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const ours = step([x, w, b], (a, bb, bias) => denseMatMul(a as tf.Tensor2D, bb as tf.Tensor2D, bias));
  const theirs = step([x, w, b], (a, bb, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: bb as tf.Tensor2D, bias }));
  // The loss's own kernels (its sum and the sum's gradient) are the same in both.
  t.is(ours.filter((n) => n === 'GraftDense').length, 1);
  t.is(ours.filter((n) => n === BatchMatMul).length, 2);
  t.is(ours.filter((n) => n === 'Reshape').length, 1, 'only the loss sum\'s gradient reshapes');
  t.true(ours.length + 8 <= theirs.length, `ours ${ours.join(',')} | theirs ${theirs.join(',')}`);
  // Frozen w (only x and the bias train): one product in the backward pass, dx's.
  const frozen = step([x, b], (a, bb, bias) => denseMatMul(a as tf.Tensor2D, bb as tf.Tensor2D, bias));
  t.is(frozen.filter((n) => n === BatchMatMul).length, 1);
  tf.dispose([x, w, b]);
});
