/**
 * layerNorm on wasm with graft's fused kernels (core/backend/fusedLayerNorm.ts,
 * kernels/layerNormModule.ts): value and gradients against the tfjs-op path on cpu and against
 * float64, widths with and without a SIMD tail, no leaks, bad inputs named. Serial: the active
 * backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { layerNorm } from '../../../core/index.ts';
import { LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL } from '../../../core/backend/kernels/LayerNorm.ts';
import { registerGraftKernels } from '../../../core/backend/index.ts';
import { assertClose, initBackends, liveCounts, prng, randomValues, run, runAll, storeOf } from './helpers.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

const EPS = 1e-5;

/** layerNorm reads only gamma and beta from its store. */
function ln(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  return layerNorm(storeOf({ 'ln.gamma': gamma, 'ln.beta': beta }), 'ln', x, true, EPS);
}

interface Case { shape: number[]; x: Float32Array; gamma: Float32Array; beta: Float32Array; dy: Float32Array }

function makeCase(shape: number[], seed: number): Case {
  const rand = prng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = shape[shape.length - 1]!;
  const x = randomValues(rand, n, 3);
  // An offset row mean, as activations have: the two-pass variance must not lose it.
  for (let i = 0; i < n; i++) x[i]! += 40;
  const gamma = randomValues(rand, d, 1).map((v) => v + 1);
  return { shape, x, gamma, beta: randomValues(rand, d, 1), dy: randomValues(rand, n, 1) };
}

/** y, dx, dgamma, dbeta in float64 from the float32 inputs. */
function reference(c: Case): { y: number[]; dx: number[]; dgamma: number[]; dbeta: number[] } {
  const d = c.shape[c.shape.length - 1]!;
  const rows = c.x.length / d;
  const y: number[] = [];
  const dx: number[] = [];
  const dgamma = new Array<number>(d).fill(0);
  const dbeta = new Array<number>(d).fill(0);
  for (let r = 0; r < rows; r++) {
    const xs = Array.from(c.x.subarray(r * d, (r + 1) * d));
    const dys = Array.from(c.dy.subarray(r * d, (r + 1) * d));
    const mean = xs.reduce((a, b) => a + b, 0) / d;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
    const rstd = 1 / Math.sqrt(variance + EPS);
    const xhat = xs.map((v) => (v - mean) * rstd);
    const gs = dys.map((v, i) => v * c.gamma[i]!);
    const m1 = gs.reduce((a, b) => a + b, 0) / d;
    const m2 = gs.reduce((a, b, i) => a + b * xhat[i]!, 0) / d;
    for (let i = 0; i < d; i++) {
      y.push(xhat[i]! * c.gamma[i]! + c.beta[i]!);
      dx.push((gs[i]! - m1 - xhat[i]! * m2) * rstd);
      dgamma[i]! += dys[i]! * xhat[i]!;
      dbeta[i]! += dys[i]!;
    }
  }
  return { y, dx, dgamma, dbeta };
}

const SHAPES = [[3, 5, 128], [7, 130], [4, 6], [2, 3], [1, 1], [64, 64], [1100, 130]];

const forward = (c: Case) => () => ln(tf.tensor(c.x, c.shape), tf.tensor(c.gamma), tf.tensor(c.beta));
const backward = (c: Case) => () => tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ln(x, g, b), tf.tensor(c.dy, c.shape))))(
  [tf.tensor(c.x, c.shape), tf.tensor(c.gamma), tf.tensor(c.beta)]);

const worstError = (actual: number[], want: number[]) =>
  want.reduce((w, v, i) => Math.max(w, Math.abs(actual[i]! - v) / (1 + Math.abs(v))), 0);

/**
 * The ops path is only a sanity check (1e-4: with a row mean of ~40 and 3 elements its float32
 * mean is off by more than the fused kernel's float64 one); the bound is float64's.
 * Against float64: within `tol`, and no further than twice the ops path's own error (+1e-7). The
 * inputs' row means of ~40 cost float32 ~2e-6 before any sum is taken, so a fixed bound alone
 * would be loose.
 */
function closeTo(t: import('ava').ExecutionContext, actual: number[], ops: number[], want: number[], tol: number, what: string): void {
  const fused = worstError(actual, want);
  const opsError = worstError(ops, want);
  t.true(fused <= tol && fused <= 2 * opsError + 1e-7, `${what}: max |a - b| / (1 + |b|) = ${fused.toExponential(2)} (ops path ${opsError.toExponential(2)}, tolerance ${tol})`);
}

test.serial('value: the fused kernel against the ops path (cpu) and float64, widths with and without a SIMD tail', async (t) => {
  for (const [k, shape] of SHAPES.entries()) {
    const c = makeCase(shape, 10 + k);
    const fused = await run('wasm-graft', forward(c));
    const ops = await run('cpu-stock', forward(c));
    assertClose(t, fused, ops, `y ${shape}`, 1e-4, 1e-4);
    closeTo(t, fused.values, ops.values, reference(c).y, 5e-5, `y ${shape} vs float64`);
  }
});

test.serial('gradients dx, dgamma, dbeta: against the ops path (cpu) and float64', async (t) => {
  for (const [k, shape] of SHAPES.entries()) {
    const c = makeCase(shape, 20 + k);
    const [dx, dgamma, dbeta] = await runAll('wasm-graft', backward(c));
    const ops = await runAll('cpu-stock', backward(c));
    const ref = reference(c);
    assertClose(t, dx!, ops[0]!, `dx ${shape}`, 1e-4, 1e-4);
    assertClose(t, dgamma!, ops[1]!, `dgamma ${shape}`, 1e-4, 1e-5);
    assertClose(t, dbeta!, ops[2]!, `dbeta ${shape}`, 1e-5, 1e-5);
    closeTo(t, dx!.values, ops[0]!.values, ref.dx, 5e-5, `dx ${shape} vs float64`);
    closeTo(t, dgamma!.values, ops[1]!.values, ref.dgamma, 5e-5, `dgamma ${shape} vs float64`);
    closeTo(t, dbeta!.values, ops[2]!.values, ref.dbeta, 5e-5, `dbeta ${shape} vs float64`);
  }
});

test.serial('the fused kernels run on wasm with graft kernels, and not with them off (the ops path then)', async (t) => {
  const c = makeCase([8, 32], 3);
  const names = async (variant: 'wasm-graft' | 'wasm-stock') => {
    await tf.setBackend('wasm');
    registerGraftKernels('wasm', { fastKernels: variant === 'wasm-graft' });
    try {
      const info = await tf.profile(() => tf.dispose(backward(c)()));
      return new Set(info.kernelNames);
    } finally {
      registerGraftKernels('wasm', { fastKernels: true });
    }
  };
  const fast = await names('wasm-graft');
  t.true(fast.has(LAYER_NORM_KERNEL) && fast.has(LAYER_NORM_GRAD_KERNEL), [...fast].join());
  t.false(fast.has('Rsqrt'), 'no ops path alongside');
  const stock = await names('wasm-stock');
  t.false(stock.has(LAYER_NORM_KERNEL) || stock.has(LAYER_NORM_GRAD_KERNEL));
  t.true(stock.has('Rsqrt'));
});

test.serial('no tensor is left behind, forward (no tape) or backward', async (t) => {
  await tf.setBackend('wasm');
  const c = makeCase([16, 40], 5);
  const [x, g, b] = [tf.tensor(c.x, c.shape), tf.tensor(c.gamma), tf.tensor(c.beta)];
  const grad = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(ln(xx, gg, bb)));
  tf.dispose(grad([x, g, b]));
  ln(x, g, b).dispose();
  const before = liveCounts();
  for (let i = 0; i < 3; i++) {
    ln(x, g, b).dispose();
    tf.dispose(grad([x, g, b]));
  }
  t.deepEqual(liveCounts(), before);
  tf.dispose([x, g, b]);
});

test.serial('bad inputs name the kernel and the shapes', async (t) => {
  await tf.setBackend('wasm');
  const x = tf.zeros([4, 8]);
  const g = tf.ones([6]);
  const b = tf.zeros([8]);
  t.throws(() => tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma: g, beta: b }, { eps: EPS } as never), { message: /GraftLayerNorm: expected float32 \[8\], got float32 \[6\]/ });
  const xi = tf.zeros([4, 8], 'int32');
  t.throws(() => tf.engine().runKernel(LAYER_NORM_KERNEL, { x: xi, gamma: b, beta: b }, { eps: EPS } as never), { message: /GraftLayerNorm: expected float32 \[\.\.\., d\], got int32 \[4,8\]/ });
  const rstd = tf.ones([4, 2]);
  t.throws(() => tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy: x, xhat: x, rstd, gamma: b }), { message: /GraftLayerNormGrad: expected float32 rstd \[4,1\], got float32 \[4,2\]/ });
  tf.dispose([x, g, b, xi, rstd]);
});
