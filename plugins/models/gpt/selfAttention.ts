import * as tf from '@tensorflow/tfjs-core';
import { dense, dropout, dropoutMask, type ForwardContext } from '../../../core/index.ts';
import { canFuseCausalAttention, fusedCausalAttention } from '../../../core/backend/index.ts';
import { isCausalMask } from './causalMask.ts';

export interface AttentionShape {
  batch: number;
  time: number;
  nHeads: number;
  /** Dropout rate on the attention probabilities. */
  dropout: number;
}

/**
 * Multi-head self-attention over `x` [B*T, D], returning [B*T, D] before the residual add.
 *
 * One fused qkv matmul [D, 3D], split into q, k, v and put as [B*H, T, hd] slabs; the scale
 * 1/sqrt(hd) is folded into q ([B*H, T, hd], smaller than the [B*H, T, T] scores); scores get
 * the additive `bias` (causal mask [T, T] or, with padding, [B, 1, T, T]) before the softmax.
 */
/** Keys and values of the positions seen so far, per head: [B*H, T, hd] each (a key/value cache). */
export interface LayerKv {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/**
 * `kv` (incremental decoding): `past` holds the keys and values of the positions before `x`'s
 * (attended to after them: `bias` must then be null or cover [T, past + T]); the keys and values of
 * past and new positions together are written to `kv.out`.
 */
export function selfAttention(ctx: ForwardContext, prefix: string, x: tf.Tensor2D, s: AttentionShape, bias: tf.Tensor | null, kv?: { past?: LayerKv; out: Partial<LayerKv> }): tf.Tensor2D {
  const { batch: B, time: T, nHeads: H } = s;
  const D = x.shape[1];
  const hd = D / H;
  const qkv = dense(ctx.params, `${prefix}.qkv`, x, ctx.training);
  // The causal mask alone and no cache: graft's fused kernel where the backend has it (no head
  // transposes, half the products skipped: see fusedCausalAttention), with dropout on the
  // probabilities drawn exactly as `dropout` would draw it.
  if (!kv && T > 1 && isCausalMask(bias) && bias!.shape[0] === T && canFuseCausalAttention(qkv as tf.Tensor2D, T, H)) {
    const mask = ctx.training && s.dropout > 0 ? dropoutMask([B * H, T, T], s.dropout, ctx.rng) as tf.Tensor3D : undefined;
    const fused = fusedCausalAttention(qkv as tf.Tensor2D, B, T, H, mask);
    if (fused) return dense(ctx.params, `${prefix}.proj`, fused, ctx.training) as tf.Tensor2D;
  }
  // Split, then one 4-D transpose each ([B, T, H, hd] → [B, H, T, hd]). A single 5-D transpose of
  // [B, T, 3, H, hd] would do it in one op, but wasm's 5-D transpose takes a generic path about 50x
  // slower than its 4-D one (measured: 100 ms vs 2 ms at B=16, T=128, D=128).
  // With one position (a generated token against the cache) [B, 1, H, hd] and [B, H, 1, hd] are the
  // same memory: a reshape alone, two kernel dispatches fewer per slab (generation is dispatch-bound).
  const toHeads = T === 1
    ? (t: tf.Tensor) => tf.reshape(t, [B * H, 1, hd]) as tf.Tensor3D
    : (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]) as tf.Tensor3D;
  const [q0, kNew, vNew] = tf.split(qkv, 3, 1).map(toHeads) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  let k = kNew;
  let v = vNew;
  if (kv) {
    if (kv.past) {
      k = tf.concat([kv.past.k, k], 1);
      v = tf.concat([kv.past.v, v], 1);
    }
    kv.out.k = k;
    kv.out.v = v;
  }
  const q = tf.mul(q0, 1 / Math.sqrt(hd)) as tf.Tensor3D;
  let scores: tf.Tensor = tf.matMul(q, k, false, true); // [B*H, T, T] (T past + T with a cache)
  if (bias) {
    scores = bias.rank === 4 ? tf.reshape(tf.add(tf.reshape(scores, [B, H, T, T]), bias), [B * H, T, T]) : tf.add(scores, bias);
  }
  const probs = dropout(tf.softmax(scores), s.dropout, ctx.training, ctx.rng) as tf.Tensor3D;
  const y = tf.matMul(probs, v); // [B*H, T, hd]
  const merged = T === 1 ? tf.reshape(y, [B, D]) : tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, D]);
  return dense(ctx.params, `${prefix}.proj`, merged, ctx.training) as tf.Tensor2D;
}
