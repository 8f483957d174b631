import { createDense, createEmbedding, createLayerNorm, type ParameterStore, type Rng } from '../../../core/index.ts';
import type { GptShape } from './parameterCount.ts';

/**
 * Create every `backbone.*` parameter with GPT-2's init: N(0, initStd) for embeddings and
 * kernels, N(0, initStd/sqrt(2·nLayers)) for the two projections that write into the residual
 * stream (so its variance does not grow with depth), zero biases, LayerNorm gamma 1 / beta 0;
 * with `segmentVocabSize` > 0, `backbone.segEmbed` [S, D] N(0, initStd), created after the rest.
 */
export function createGptParameters(params: ParameterStore, rng: Rng, s: GptShape & { initStd: number }, owner: string): void {
  const { vocabSize: V, contextLength: C, nLayers: L, dModel: D, mlpHidden: H, bias, initStd } = s;
  const std = { std: initStd };
  const residualStd = { std: initStd / Math.sqrt(2 * L) };
  createEmbedding(params, rng, 'backbone.tokEmbed', V, D, initStd, owner);
  createEmbedding(params, rng, 'backbone.posEmbed', C, D, initStd, owner);
  for (let i = 0; i < L; i++) {
    const p = `backbone.blocks.${i}`;
    createLayerNorm(params, `${p}.ln1`, D, owner);
    createDense(params, rng, `${p}.attn.qkv`, D, 3 * D, { init: std, bias, owner });
    createDense(params, rng, `${p}.attn.proj`, D, D, { init: residualStd, bias, owner });
    createLayerNorm(params, `${p}.ln2`, D, owner);
    createDense(params, rng, `${p}.mlp.fc`, D, H, { init: std, bias, owner });
    createDense(params, rng, `${p}.mlp.proj`, H, D, { init: residualStd, bias, owner });
  }
  createLayerNorm(params, 'backbone.lnF', D, owner);
  // Last, so every other parameter gets the same values as in a model without segments.
  if (s.segmentVocabSize) createEmbedding(params, rng, 'backbone.segEmbed', s.segmentVocabSize, D, initStd, owner);
}
