import * as tf from '@tensorflow/tfjs-core';
import { dense, dropout, gelu, layerNorm, type ForwardContext } from '../../../core/index.ts';
import { selfAttention, type AttentionShape, type LayerKv } from './selfAttention.ts';

/**
 * One pre-LayerNorm GPT block over the residual stream `x` [B*T, D]:
 *   x + drop(attn(LN1(x)));  then  x + drop(proj(gelu(fc(LN2(x))))).
 * Each branch output (after its dropout, before the add) passes through `ctx.intercept` as
 * `<prefix>.attn` / `<prefix>.mlp`, shaped [B, T, D], where adapters insert themselves.
 */
export function transformerBlock(
  ctx: ForwardContext,
  prefix: string,
  x: tf.Tensor2D,
  s: AttentionShape & { residualDropout: number },
  bias: tf.Tensor | null,
  kv?: { past?: LayerKv; out: Partial<LayerKv> },
): tf.Tensor2D {
  const { batch: B, time: T } = s;
  const D = x.shape[1];
  const { params, training, rng } = ctx;
  const a = selfAttention(ctx, `${prefix}.attn`, layerNorm(params, `${prefix}.ln1`, x, training) as tf.Tensor2D, s, bias, kv);
  const a2 = branch(ctx, `${prefix}.attn`, dropout(a, s.residualDropout, training, rng), B, T, D);
  const x1 = tf.add(x, a2) as tf.Tensor2D;
  const h = gelu(dense(params, `${prefix}.mlp.fc`, layerNorm(params, `${prefix}.ln2`, x1, training), training));
  const m = dense(params, `${prefix}.mlp.proj`, h, training);
  const m2 = branch(ctx, `${prefix}.mlp`, dropout(m, s.residualDropout, training, rng), B, T, D);
  return tf.add(x1, m2) as tf.Tensor2D;
}

/**
 * Show a branch output to interceptors as [B, T, D]. The reshapes share data, but each is a
 * kernel call, a saved clone and a gradient reshape (12 kernel calls a block a training step), so
 * they are made only when an interceptor is registered for `name`.
 */
function branch(ctx: ForwardContext, name: string, y: tf.Tensor, B: number, T: number, D: number): tf.Tensor {
  if (ctx.intercepts?.(name) === false) return y;
  return tf.reshape(ctx.intercept(name, tf.reshape(y, [B, T, D])), [B * T, D]);
}
