import * as tf from '@tensorflow/tfjs-core';
import { checkpoint, dropout, embed, layerNorm, type ForwardContext } from '../../../core/index.ts';
import { transformerBlock } from './transformerBlock.ts';
import type { LayerKv } from './selfAttention.ts';

export interface BackboneShape {
  nLayers: number;
  nHeads: number;
  dropout: number;
  /** Recompute each block's activations in the backward pass instead of keeping them (`activationCheckpointing`). */
  checkpoint?: boolean;
}

const CHECKPOINT_OWNER = { plugin: 'model:gpt', option: 'activationCheckpointing' };

/**
 * Incremental decoding: the tokens are at positions `offset`...; `past` holds every layer's keys
 * and values of the positions before (absent on the first call); `out[i]` receives layer i's keys
 * and values of all positions so far.
 */
export interface BackboneCache {
  offset: number;
  past?: readonly LayerKv[];
  out: Partial<LayerKv>[];
}

/** The segment (token-type) embedding, present only when the model has segments. */
export const SEG_EMBED = 'backbone.segEmbed';

/**
 * The GPT stack: ids [B, T] → features [B, T, D] after the final LayerNorm. `bias` is the
 * additive attention mask (causal and/or padding) or null for full attention. The residual
 * stream stays [B*T, D] between blocks so every dense is a plain 2-D matmul.
 *
 * `segments`: undefined for a model without segment embeddings (the embeddings are tok + pos,
 * exactly as before segments existed); else `backbone.segEmbed` [S, D] is added, its rows picked
 * by `segments` int32 [B, T], or its row 0 everywhere when `segments` is null.
 */
export function gptBackbone(ctx: ForwardContext, ids: tf.Tensor, s: BackboneShape, bias: tf.Tensor | null, segments?: tf.Tensor | null, cache?: BackboneCache): tf.Tensor3D {
  const [B, T] = ids.shape as [number, number];
  const { params, training, rng } = ctx;
  const tok = embed(params, 'backbone.tokEmbed', ids, training); // [B, T, D]
  const D = tok.shape[2]!;
  const posTable = params.read('backbone.posEmbed', training);
  const offset = cache?.offset ?? 0;
  const pos = posTable.shape[0] === T && offset === 0 ? posTable : tf.slice(posTable, [offset, 0], [T, D]);
  let emb = tf.add(tok, pos);
  if (segments !== undefined) {
    const seg = segments ? embed(params, SEG_EMBED, segments, training) : tf.slice(params.read(SEG_EMBED, training), [0, 0], [1, D]);
    emb = tf.add(emb, seg);
  }
  let x = tf.reshape(dropout(emb, s.dropout, training, rng), [B * T, D]) as tf.Tensor2D;
  const shape = { batch: B, time: T, nHeads: s.nHeads, dropout: s.dropout, residualDropout: s.dropout };
  for (let i = 0; i < s.nLayers; i++) {
    const prefix = `backbone.blocks.${i}`;
    if (s.checkpoint && !cache) {
      // The mask is an input too: a padding mask is made in this forward pass and freed before the backward.
      const inputs = bias ? [x, bias] : [x];
      x = checkpoint(prefix, ctx, (c, [xi, bi]) => transformerBlock(c, prefix, xi as tf.Tensor2D, shape, bi ?? null), inputs, CHECKPOINT_OWNER) as tf.Tensor2D;
      continue;
    }
    const kv = cache ? { past: cache.past?.[i], out: (cache.out[i] = {}) } : undefined;
    x = transformerBlock(ctx, prefix, x, shape, bias, kv);
  }
  return tf.reshape(layerNorm(params, 'backbone.lnF', x, training), [B, T, D]) as tf.Tensor3D;
}
