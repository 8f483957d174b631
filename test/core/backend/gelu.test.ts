/**
 * gelu on wasm with graft's fused kernels (core/backend/fusedGelu.ts): the value bit-identical to
 * the tfjs-op composition, the gradient against autodiff through the ops (cpu) and the float64
 * derivative. Serial: the active backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../../../core/index.ts';
import { registerGraftKernels } from '../../../core/backend/index.ts';
import { initBackends, liveCounts, prng, randomValues, run } from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

function inputs(n: number, seed: number): Float32Array {
  const v = randomValues(prng(seed), n, 6);
  // Edges: zero, both saturated ends, tiny values.
  v.set([0, -0, 20, -20, 1e-30, -9.5].slice(0, n));
  return v;
}

/** gelu'(x) in float64 for the tanh form written with a sigmoid. */
function derivative(x: number): number {
  const c = Math.sqrt(2 / Math.PI) * 2;
  const z = (x + 0.044715 * x ** 3) * c;
  const s = 1 / (1 + Math.exp(-z));
  return s + x * s * (1 - s) * c * (1 + 3 * 0.044715 * x * x);
}

test.serial('fused gelu: value bit-identical to the ops, any length', async t => {
  for (const n of [1, 3, 4, 7, 1024 + 5]) {
    const v = inputs(n, n);
    const f = () => gelu(tf.tensor(v));
    t.deepEqual(await run('wasm-graft', f), await run('wasm-stock', f), `n=${n}`);
  }
});

/**
 * 2^18 + 7 float32s of every magnitude (random exponent from 2^-149 to 2^127, random mantissa and
 * sign), then the specials and the sigmoid's edges: z near its denormal cutoff (|z| = 87.34, x
 * near +-5.6), where x*x*x overflows, infinities, NaN.
 */
function sweep(): Float32Array {
  const rand = prng(11);
  // 2^18 + 7: the 8-vector loop, the one-vector loop and the scalar tail all run.
  const bits = new Uint32Array((1 << 18) + 7);
  for (let i = 0; i < bits.length; i++) {
    const exponent = Math.floor(rand() * 255);
    bits[i] = ((rand() < 0.5 ? 1 : 0) << 31 | exponent << 23 | Math.floor(rand() * (1 << 23))) >>> 0;
  }
  const v = new Float32Array(bits.buffer);
  const edges = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1.17e-38, 5.5, -5.5, 5.6, -5.6, 5.65, -5.65, 4.9e12, -4.9e12, 3e38, -3e38];
  for (let i = 0; i < 2000; i++) edges.push((rand() * 2 - 1) * 8);
  v.set(edges);
  return v;
}

/** The bit patterns of `r`'s values as float32s (NaN payloads included). */
const bitsOf = (values: number[]): number[] => Array.from(new Uint32Array(Float32Array.from(values).buffer));

test.serial('fused gelu: value and sigmoid bit-identical to the ops (XNNPACK\'s sigmoid) over every magnitude', async t => {
  const v = sweep();
  const fused = await run('wasm-graft', () => gelu(tf.tensor(v)));
  const ops = await run('wasm-stock', () => gelu(tf.tensor(v)));
  t.deepEqual(bitsOf(fused.values), bitsOf(ops.values));
  // The sigmoid the gradient uses, against tfjs's Sigmoid on the ops' pre-activation.
  const pre = (x: tf.Tensor) => tf.mul(tf.add(tf.mul(tf.mul(tf.mul(x, x), x), 0.044715), x), Math.fround(Math.sqrt(2 / Math.PI) * 2));
  const s = await run('wasm-graft', () => (tf.engine().runKernel('GraftGelu', { x: tf.tensor(v) }) as tf.Tensor[])[1]!);
  const want = await run('wasm-stock', () => tf.sigmoid(pre(tf.tensor(v))));
  t.deepEqual(bitsOf(s.values), bitsOf(want.values));
});

test.serial('fused gelu: gradient equals autodiff through the ops to float32 rounding, and the float64 derivative', async t => {
  const n = 4096 + 3;
  const v = inputs(n, 7);
  const dyv = randomValues(prng(8), n, 2);
  const f = () => tf.grad((x: tf.Tensor) => gelu(x))(tf.tensor(v), tf.tensor(dyv));
  const fused = await run('wasm-graft', f);
  const ops = await run('cpu-stock', f);
  let worst = 0;
  let worstRef = 0;
  for (let i = 0; i < n; i++) {
    const want = dyv[i]! * derivative(v[i]!);
    const scale = Math.abs(dyv[i]!) * 1.2 + 1e-30;
    worst = Math.max(worst, Math.abs(fused.values[i]! - ops.values[i]!) / scale);
    worstRef = Math.max(worstRef, Math.abs(fused.values[i]! - want) / scale);
  }
  t.true(worst < 1e-6, `max |fused - autodiff| / |dy| = ${worst}`);
  t.true(worstRef < 1e-6, `max |fused - float64| / |dy| = ${worstRef}`);
});

test.serial('fused gelu leaks no tensors, forward or backward', async t => {
  await tf.setBackend('wasm');
  const x = tf.tensor(inputs(100, 3));
  const g = tf.grad((a: tf.Tensor) => tf.sum(gelu(a)));
  tf.tidy(() => g(x));
  const before = liveCounts();
  for (let i = 0; i < 3; i++) {
    gelu(x).dispose();
    g(x).dispose();
  }
  t.deepEqual(liveCounts(), before);
  x.dispose();
});
