/**
 * Fused causal self-attention on wasm (core/backend/fusedCausalAttention.ts, kernels/
 * CausalAttention.ts, kernels/causalSoftmaxModule.ts): values and gradients against the same
 * attention composed from tfjs ops on stock cpu, the probabilities' zeros above the diagonal, its
 * errors, its fallbacks, leaks, and the GPT model taking it. Serial: the active backend and kernel
 * registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { fusedCausalAttention, registerGraftKernels } from '../../../core/backend/index.ts';
import { CAUSAL_ATTENTION_KERNEL } from '../../../core/backend/kernels/CausalAttention.ts';
import { gemmModuleOn } from '../../../core/backend/kernels/gemmModule.ts';
import { wasmMemoryOf, type WasmBackendLike } from '../../../core/backend/kernels/heap.ts';
import { causalMask, MASKED } from '../../../plugins/models/gpt/causalMask.ts';
import { selfAttention } from '../../../plugins/models/gpt/selfAttention.ts';
import { ParameterStore, Rng } from '../../../core/index.ts';
import { assertClose, initBackends, liveCounts, prng, randomValues, run } from './helpers.ts';
import '../../../core/runtime/registerGradients.ts';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

/**
 * The attention as selfAttention composes it from tfjs ops: qkv [B*T, 3D] -> [B*T, D]; `mask`
 * (dropout on the probabilities) multiplies the probabilities as selfAttention's dropout does.
 */
function composed(qkv: tf.Tensor2D, B: number, T: number, H: number, mask?: tf.Tensor3D): tf.Tensor2D {
  const D = qkv.shape[1] / 3;
  const hd = D / H;
  const toHeads = (x: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]) as tf.Tensor3D;
  const [q, k, v] = tf.split(qkv, 3, 1).map(toHeads) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const probs = tf.softmax(tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true), causalMask(T))) as tf.Tensor3D;
  const y = tf.matMul(mask ? tf.mul(probs, mask) as tf.Tensor3D : probs, v);
  return tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, D]) as tf.Tensor2D;
}

// [batch, time, heads, width]: one query block, a partial block (36), keys deeper than a GEMM
// cache block (160 > 128) for dK and dV, several heads and sequences.
const SHAPES: [number, number, number, number][] = [[2, 8, 2, 16], [1, 36, 3, 24], [3, 64, 4, 32], [1, 160, 2, 16]];

test.serial('values and gradients equal the composed ops (stock cpu) within float32 rounding', async t => {
  const rand = prng(7);
  for (const [B, T, H, D] of SHAPES) {
    const qkvValues = randomValues(rand, B * T * 3 * D, 2);
    const dyValues = randomValues(rand, B * T * D);
    const qkv = () => tf.tensor2d(qkvValues, [B * T, 3 * D]);
    const dy = () => tf.tensor2d(dyValues, [B * T, D]);
    const what = `B ${B} T ${T} H ${H} D ${D}`;
    const fused = await run('wasm-graft', () => {
      const y = fusedCausalAttention(qkv(), B, T, H);
      if (y == null) throw new Error('the fused path must be taken on wasm');
      return y;
    });
    assertClose(t, fused, await run('cpu-stock', () => composed(qkv(), B, T, H)), `${what}: y`, 2e-6, 2e-5);
    const loss = (attend: (x: tf.Tensor2D) => tf.Tensor2D) => (x: tf.Tensor) => tf.sum(tf.mul(attend(x as tf.Tensor2D), dy()));
    const grad = await run('wasm-graft', () => tf.grad(loss(x => fusedCausalAttention(x, B, T, H)!))(qkv()));
    assertClose(t, grad, await run('cpu-stock', () => tf.grad(loss(x => composed(x, B, T, H)))(qkv())), `${what}: dqkv`, 1e-5, 2e-5);
  }
});

test.serial('the saved probabilities: rows sum to 1, exactly 0 above the diagonal, large scores stay finite', async t => {
  await tf.setBackend('wasm');
  const [B, T, H, D] = [1, 12, 2, 8];
  const rand = prng(11);
  const values = randomValues(rand, B * T * 3 * D, 40); // scores in the hundreds: the max shift matters
  const [y, p] = tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, { qkv: tf.tensor2d(values, [B * T, 3 * D]) }, { batch: B, time: T, heads: H } as never) as tf.Tensor[];
  const probs = p!.dataSync();
  t.deepEqual(p!.shape, [B * H, T, T]);
  for (let h = 0; h < B * H; h++) {
    for (let i = 0; i < T; i++) {
      let sum = 0;
      for (let j = 0; j < T; j++) {
        const v = probs[(h * T + i) * T + j]!;
        if (j > i) t.is(v, 0, `head ${h} row ${i} key ${j}`);
        else sum += v;
      }
      t.true(Math.abs(sum - 1) < 2e-6, `head ${h} row ${i} sums to ${sum}`);
    }
  }
  t.true(y!.dataSync().every(Number.isFinite));
  tf.dispose([y!, p!]);
});

test.serial('softmaxCausal: the exponential within a few ulp of float64, masked keys exactly 0, NaN kept', async t => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendLike;
  const { softmaxCausal } = gemmModuleOn(wasmMemoryOf(backend));
  // Rows of up to 64 keys: the 8-vector steps (rows from 32 keys on) and the one-vector ones.
  const T = 64;
  // Every row spans exp's range after the max shift: key 0 is 0 (the max), then down to -100
  // (below float32's underflow).
  const scores = Float32Array.from({ length: T * T }, (_, k) => -(k % T) * (100 / (T - 1)));
  // A NaN score makes its whole row NaN (it must not vanish into a finite softmax).
  const nanRow = 40;
  scores[nanRow * T + 17] = NaN;
  const heap = backend.wasm;
  const ptr = heap._malloc(T * T * 4) >>> 0;
  try {
    new Float32Array(heap.HEAPU8.buffer, ptr, T * T).set(scores);
    softmaxCausal(1, T, ptr, 1, 0, 0);
    const got = new Float32Array(heap.HEAPU8.buffer, ptr, T * T).slice();
    let worst = 0;
    for (let i = 0; i < T; i++) {
      if (i === nanRow) continue;
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += Math.exp(scores[i * T + j]!);
      for (let j = 0; j < T; j++) {
        const v = got[i * T + j]!;
        const s = scores[i * T + j]!;
        // Above the diagonal, and below -87.3 (float32 exp is ~0 or subnormal there): exactly 0.
        if (j > i || s < -87.3) {
          if (v !== 0) t.fail(`row ${i} key ${j}: ${v}, want 0`);
          continue;
        }
        const want = Math.exp(s) / sum;
        worst = Math.max(worst, Math.abs(v - want) / want);
      }
    }
    t.true(worst <= 4 * 2 ** -23, `max relative error ${worst}`);
    const row = Array.from(got.subarray(nanRow * T, nanRow * T + nanRow + 1));
    t.true(row.every(Number.isNaN), `row ${nanRow}: ${row.slice(0, 4)}`);
  } finally {
    heap._free(ptr);
  }
});

test.serial('bad input is a coded error naming the kernel and the shape', async t => {
  await tf.setBackend('wasm');
  const run = (shape: [number, number], attrs: object) => () => tf.engine().runKernel(CAUSAL_ATTENTION_KERNEL, { qkv: tf.zeros(shape) }, attrs as never);
  t.throws(run([16, 48], { batch: 2, time: 6, heads: 2 }), { message: /GraftCausalAttention: expected .*time a multiple of 4.*\[16,48\] for batch 2, time 6/ });
  t.throws(run([16, 50], { batch: 2, time: 8, heads: 2 }), { message: /GraftCausalAttention: expected float32 qkv/ });
});

test.serial('fallbacks: null where the kernels cannot take it (cpu, time not a multiple of 4), so callers compose ops', async t => {
  await tf.setBackend('wasm');
  t.is(fusedCausalAttention(tf.zeros([2 * 6, 48]) as tf.Tensor2D, 2, 6, 2), null, 'time 6');
  t.not(fusedCausalAttention(tf.zeros([2 * 8, 48]) as tf.Tensor2D, 2, 8, 2), null, 'time 8');
  await tf.setBackend('cpu');
  t.is(fusedCausalAttention(tf.zeros([2 * 8, 48]) as tf.Tensor2D, 2, 8, 2), null, 'cpu');
  await tf.setBackend('wasm');
});

test.serial('forward and backward leak no tensors or heap blocks', async t => {
  await tf.setBackend('wasm');
  const qkv = tf.randomNormal([4 * 32, 3 * 32]) as tf.Tensor2D;
  const mask = tf.tidy(() => tf.mul(tf.cast(tf.greater(tf.randomUniform([16, 32, 32]), 0.2), 'float32'), 1.25)) as tf.Tensor3D;
  for (const m of [undefined, mask]) {
    const step = () => tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(fusedCausalAttention(x as tf.Tensor2D, 4, 32, 4, m)!))(qkv));
    step().dispose();
    const before = liveCounts();
    for (let i = 0; i < 5; i++) step().dispose();
    t.deepEqual(liveCounts(), before, m ? 'with a mask' : 'without');
    // Outside a gradient tape: the extra outputs (probabilities) are freed too.
    const y = fusedCausalAttention(qkv, 4, 32, 4, m)!;
    y.dispose();
    t.deepEqual(liveCounts(), before, m ? 'no tape, with a mask' : 'no tape');
  }
  tf.dispose([qkv, mask]);
});

test.serial("GPT's selfAttention takes the fused kernel with the causal mask alone, and gives what the composed ops give", async t => {
  await tf.setBackend('wasm');
  const [B, T, H, D] = [2, 16, 2, 16];
  const params = new ParameterStore();
  const rand = prng(19);
  params.create('a.qkv.kernel', [D, 3 * D], randomValues(rand, D * 3 * D, 0.5), { owner: 'test' });
  params.create('a.qkv.bias', [3 * D], randomValues(rand, 3 * D, 0.1), { owner: 'test' });
  params.create('a.proj.kernel', [D, D], randomValues(rand, D * D, 0.5), { owner: 'test' });
  params.create('a.proj.bias', [D], randomValues(rand, D, 0.1), { owner: 'test' });
  const x = tf.tensor2d(randomValues(rand, B * T * D), [B * T, D]);
  const ctx = { training: true, params, rng: new Rng(0), intercept: (_n: string, v: tf.Tensor) => v };
  const shape = { batch: B, time: T, nHeads: H, dropout: 0 };
  const mask = causalMask(T);
  const kernelsOf = async (bias: tf.Tensor) => {
    const info = await tf.profile(() => selfAttention(ctx, 'a', x, shape, bias));
    return info.kernels.map(k => k.name);
  };
  t.true((await kernelsOf(mask)).includes(CAUSAL_ATTENTION_KERNEL), 'the causal mask: fused');
  // The same values as a mask tensor that is not causalMask's: the composed path.
  const lookalike = tf.tensor2d(Float32Array.from({ length: T * T }, (_, k) => (k % T > Math.floor(k / T) ? MASKED : 0)), [T, T]);
  t.false((await kernelsOf(lookalike)).includes(CAUSAL_ATTENTION_KERNEL), 'another mask: composed');
  const fused = selfAttention(ctx, 'a', x, shape, mask).dataSync();
  const ops = selfAttention(ctx, 'a', x, shape, lookalike).dataSync();
  let worst = 0;
  for (let i = 0; i < ops.length; i++) worst = Math.max(worst, Math.abs(fused[i]! - ops[i]!));
  t.true(worst < 1e-5, `max |fused - composed| = ${worst}`);
  // Dropout on the probabilities in training: fused too, with the mask `dropout` would draw from
  // the same Rng state, so the composed ops (fast kernels off) give the same values.
  const withDropout = async (fast: boolean) => {
    registerGraftKernels('wasm', { fastKernels: fast });
    try {
      const c = { ...ctx, rng: new Rng(5) };
      const info = await tf.profile(() => selfAttention(c, 'a', x, { ...shape, dropout: 0.3 }, mask));
      const y = selfAttention({ ...ctx, rng: new Rng(5) }, 'a', x, { ...shape, dropout: 0.3 }, mask);
      return { kernels: info.kernels.map(k => k.name), values: y.dataSync() };
    } finally {
      registerGraftKernels('wasm', { fastKernels: true });
    }
  };
  const dropFused = await withDropout(true);
  const dropOps = await withDropout(false);
  t.true(dropFused.kernels.includes(CAUSAL_ATTENTION_KERNEL), 'dropout in training: fused');
  t.false(dropOps.kernels.includes(CAUSAL_ATTENTION_KERNEL), 'fast kernels off: composed');
  let worstDrop = 0;
  for (let i = 0; i < dropOps.values.length; i++) worstDrop = Math.max(worstDrop, Math.abs(dropFused.values[i]! - dropOps.values[i]!));
  t.true(worstDrop < 1e-5, `dropout: max |fused - composed| = ${worstDrop}`);
  t.true(worstDrop > 0 || dropOps.values.some((v, i) => v !== fused[i]), 'the dropout changed something');
});

test.serial('with a dropout mask: values and gradients equal the composed ops (stock cpu)', async t => {
  const rand = prng(23);
  for (const [B, T, H, D] of [[2, 8, 2, 16], [1, 36, 3, 24]] as [number, number, number, number][]) {
    const qkvValues = randomValues(rand, B * T * 3 * D, 2);
    const dyValues = randomValues(rand, B * T * D);
    const maskValues = Float32Array.from({ length: B * H * T * T }, () => (rand() < 0.7 ? 1 / 0.7 : 0));
    const qkv = () => tf.tensor2d(qkvValues, [B * T, 3 * D]);
    const mask = () => tf.tensor3d(maskValues, [B * H, T, T]);
    const dy = () => tf.tensor2d(dyValues, [B * T, D]);
    const composedMasked = (x: tf.Tensor2D) => composed(x, B, T, H, mask());
    const what = `B ${B} T ${T} H ${H} D ${D}`;
    const fusedY = await run('wasm-graft', () => fusedCausalAttention(qkv(), B, T, H, mask())!);
    assertClose(t, fusedY, await run('cpu-stock', () => composedMasked(qkv())), `${what}: y`, 2e-6, 2e-5);
    const loss = (attend: (x: tf.Tensor2D) => tf.Tensor2D) => (x: tf.Tensor) => tf.sum(tf.mul(attend(x as tf.Tensor2D), dy()));
    const grad = await run('wasm-graft', () => tf.grad(loss(x => fusedCausalAttention(x, B, T, H, mask())!))(qkv()));
    assertClose(t, grad, await run('cpu-stock', () => tf.grad(loss(composedMasked))(qkv())), `${what}: dqkv`, 1e-5, 2e-5);
  }
  await tf.setBackend('wasm');
  const bad = () => fusedCausalAttention(tf.zeros([16, 48]) as tf.Tensor2D, 2, 8, 2, tf.zeros([4, 8, 7]) as tf.Tensor3D);
  t.throws(bad, { message: /GraftCausalAttention: expected a float32 mask \[4,8,8\], got float32 \[4,8,7\]/ });
});
