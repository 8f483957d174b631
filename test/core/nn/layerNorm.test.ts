/**
 * layerNorm's closed-form gradient (core/nn/layers.ts) against autodiff through the same forward
 * ops, on cpu and wasm. On cpu the forward value is the ops' own; on wasm graft's fused kernels
 * compute it (float64 row sums: test/core/backend/layerNorm.test.ts), equal to float32 rounding.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '../../../core/runtime/registerGradients.ts';
import { createLayerNorm, layerNorm, ParameterStore } from '../../../core/index.ts';
import { initBackends, prng, randomValues, storeOf } from '../backend/helpers.ts';

test.before(async () => {
  await initBackends();
});

/** The layer norm as plain tfjs ops (what autodiff differentiated before). */
function opsLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, x.rank - 1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test.serial(`${backend}: value equal to the ops${backend === 'wasm' ? ' to float32 rounding (fused kernels)' : ''}, gradients (x, gamma, beta) equal to autodiff to float32 rounding`, async t => {
    await tf.setBackend(backend);
    const rand = prng(backend === 'cpu' ? 3 : 5);
    for (const shape of [[7, 16], [2, 5, 33], [1, 1]]) {
      const d = shape[shape.length - 1]!;
      const n = shape.reduce((a, b) => a * b, 1);
      const params = new ParameterStore();
      createLayerNorm(params, 'ln', d);
      const gamma = params.read('ln.gamma', true);
      const beta = params.read('ln.beta', true);
      // Non-trivial gamma/beta, an offset and a wide spread in x.
      (gamma as tf.Variable).assign(tf.tensor(randomValues(rand, d, 2)));
      const x = tf.tensor(Float32Array.from(randomValues(rand, n, 3), v => v * 10 + 4), shape);
      const dy = tf.tensor(randomValues(rand, n), shape);
      const loss = (f: (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
        (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), dy));
      const value = await layerNorm(params, 'ln', x, true).data();
      const opsValue = await opsLayerNorm(x, gamma, beta).data();
      if (backend === 'cpu') t.deepEqual(value, opsValue, `value ${shape}`);
      else {
        const worst = Math.max(...Array.from(value, (v, i) => Math.abs(v - opsValue[i]!) / (1 + Math.abs(opsValue[i]!))));
        t.true(worst <= 1e-5, `value ${shape}: max |fused - ops| / (1 + |ops|) = ${worst}`);
      }
      const [gx, gg, gb] = tf.grads(loss((a, g, b) => layerNormWith(a, g, b)))([x, gamma, beta]);
      const [ax, ag, ab] = tf.grads(loss(opsLayerNorm))([x, gamma, beta]);
      for (const [name, got, want] of [['dx', gx, ax], ['dgamma', gg, ag], ['dbeta', gb, ab]] as const) {
        const g = await got!.data();
        const w = await want!.data();
        const scale = Math.max(...Array.from(w, Math.abs), 1e-6);
        const worst = Math.max(...Array.from(g, (v, i) => Math.abs(v - w[i]!)));
        t.true(worst <= 2e-5 * scale, `${name} ${shape}: max |diff| ${worst} vs scale ${scale}`);
      }
      params.dispose();
    }
  });
}

/** layerNorm on explicit gamma/beta tensors (its parameters read through a store). */
function layerNormWith(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  return layerNorm(storeOf({ 'ln.gamma': gamma, 'ln.beta': beta }), 'ln', x, true);
}
