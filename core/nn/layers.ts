import * as tf from '@tensorflow/tfjs-core';
import { denseMatMul, fusedGelu, fusedLayerNorm, gradientsRecorded } from '../backend/index.ts';
import type { ParameterStore } from '../params/index.ts';
import type { Rng } from '../random/index.ts';
import { constantInit, glorotUniform, normalInit } from './initializers.ts';

/**
 * Functional layers over the parameter store: `create*` makes a layer's parameters under a
 * name prefix; the matching function runs it, reading weights through `params.read` so that
 * transforms (LoRA, weight dropout) apply. Models are written from these.
 */

export interface DenseInit {
  init?: 'glorot' | { std: number };
  bias?: boolean;
  owner?: string;
}

export function createDense(params: ParameterStore, rng: Rng, prefix: string, inDim: number, outDim: number, o: DenseInit = {}): void {
  const init = o.init ?? 'glorot';
  const values = init === 'glorot' ? glorotUniform(rng, inDim, outDim) : normalInit(rng, inDim * outDim, init.std);
  params.create(`${prefix}.kernel`, [inDim, outDim], values, { owner: o.owner, decay: true });
  if (o.bias ?? true) params.create(`${prefix}.bias`, [outDim], constantInit(outDim, 0), { owner: o.owner, decay: false });
}

/** x [..., in] → [..., out]. Uses a fused matmul+bias on 2-D input. */
export function dense(params: ParameterStore, prefix: string, x: tf.Tensor, training: boolean): tf.Tensor {
  const w = params.read(`${prefix}.kernel`, training) as tf.Tensor2D;
  const hasBias = params.has(`${prefix}.bias`);
  const b = hasBias ? params.read(`${prefix}.bias`, training) : undefined;
  const shape = x.shape;
  const x2 = shape.length === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, shape[shape.length - 1]!]) as tf.Tensor2D;
  const y = denseMatMul(x2, w, b);
  if (shape.length === 2) return y;
  const out = tf.reshape(y, [...shape.slice(0, -1), w.shape[1]]);
  // Outside a gradient tape nothing else needs the 2-D views: free them, so a call outside a tidy
  // (evaluation code, a user's loop) leaves only its output. Under a tape they are the tape's.
  if (!gradientsRecorded()) tf.dispose([x2, y]);
  return out;
}

export function createLayerNorm(params: ParameterStore, prefix: string, dim: number, owner?: string): void {
  params.create(`${prefix}.gamma`, [dim], constantInit(dim, 1), { owner, decay: false });
  params.create(`${prefix}.beta`, [dim], constantInit(dim, 0), { owner, decay: false });
}

/**
 * Layer normalisation over the last axis. The forward pass is tfjs ops; the gradient is the
 * closed form from the saved x̂ and 1/σ (with g = dy·γ: dx = (g - mean(g) - x̂·mean(g·x̂))/σ,
 * dγ = Σ dy·x̂, dβ = Σ dy over the leading axes): 11 ops where autodiff through moments made ~40
 * per layer norm, a third of a GPT step's kernel calls. Equal to autodiff up to float32 rounding.
 * On wasm with graft's kernels, forward and gradient are one kernel each (fusedLayerNorm).
 */
export function layerNorm(params: ParameterStore, prefix: string, x: tf.Tensor, training: boolean, eps = 1e-5): tf.Tensor {
  const gamma = params.read(`${prefix}.gamma`, training);
  const beta = params.read(`${prefix}.beta`, training);
  const fused = fusedLayerNorm(x, gamma, beta, eps);
  if (fused != null) return fused;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xt, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const axis = xt.rank - 1;
    const { mean, variance } = tf.moments(xt, axis, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(xt, mean), rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
        const dxhat = tf.mul(dy, gm);
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), -1, true))), rs);
        return [dx, tf.reshape(tf.sum(tf.mul(dy, xh), lead), gm.shape), tf.reshape(tf.sum(dy, lead), gm.shape)];
      },
    };
  });
  return f(x, gamma, beta);
}

export function createEmbedding(params: ParameterStore, rng: Rng, name: string, rows: number, dim: number, std = 0.02, owner?: string): void {
  params.create(name, [rows, dim], normalInit(rng, rows * dim, std), { owner, decay: false });
}

/** ids int32 [...] → [..., dim]. */
export function embed(params: ParameterStore, name: string, ids: tf.Tensor, training: boolean): tf.Tensor {
  const table = params.read(name, training);
  const flat = ids.rank === 1 ? ids : tf.reshape(ids, [-1]);
  const rows = tf.gather(table, flat as tf.Tensor1D);
  return ids.rank === 1 ? rows : tf.reshape(rows, [...ids.shape, table.shape[1]!]);
}

/**
 * A dropout probability times a multiplier (fastai's `drop_mult`), capped at 0.95 so a large
 * multiplier never drops everything; a multiplier of 1 leaves `p` as it is (no cap).
 */
export function scaledDropout(p: number, mult: number): number {
  return mult === 1 ? p : Math.min(0.95, p * mult);
}

/**
 * Inverted dropout. The scaled keep-mask is drawn in one JS loop from the run's Rng (tf.dropout
 * draws per element through a slower path and makes several passes), so it is deterministic for
 * a seed on every backend. `noiseShape` broadcasts one mask over some axes (locked dropout).
 */
export function dropout(x: tf.Tensor, rate: number, training: boolean, rng: Rng, noiseShape?: number[]): tf.Tensor {
  if (!training || rate <= 0) return x;
  return tf.mul(x, dropoutMask(noiseShape ?? x.shape, rate, rng));
}

/**
 * The mask `dropout` multiplies by (1 / (1 - rate) where kept, else 0), drawn from `rng` in the
 * same order: a fused kernel that applies it itself (fusedCausalAttention) draws the same mask as
 * the ops it replaces, so a seeded run gives the same numbers either way.
 */
export function dropoutMask(shape: readonly number[], rate: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const keep = 1 - rate;
  const scale = 1 / keep;
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next() < keep ? scale : 0;
  return tf.tensor(m, shape.slice(), 'float32');
}

/**
 * GELU, tanh approximation (as GPT-2), written with a sigmoid: 0.5(1+tanh(z)) = sigmoid(2z). On
 * wasm graft's fused kernels compute it (same value; the gradient in one pass, see fusedGelu).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const fused = fusedGelu(x);
  if (fused != null) return fused;
  const z = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI) * 2);
  return tf.mul(x, tf.sigmoid(z));
}
