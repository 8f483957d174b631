import { constantInit, uniformInit, type ParameterStore, type Rng } from '../../../core/index.ts';

/** The input (centre) vectors: the word vectors, named as every Graft model names its token embedding. */
export const INPUT_EMBED = 'backbone.tokEmbed';
/** The output (context) vectors. */
export const OUTPUT_EMBED = 'backbone.ctxEmbed';

/**
 * word2vec.c's init: input vectors uniform in ±0.5/dim (small, so early scores are near 0 and
 * σ near 1/2), output vectors zero (the first updates move only them, the classic start).
 * No weight decay on either (embeddings, like every Graft embedding).
 */
export function createSkipGramParameters(params: ParameterStore, rng: Rng, vocabSize: number, dim: number, owner: string): void {
  params.create(INPUT_EMBED, [vocabSize, dim], uniformInit(rng, vocabSize * dim, 0.5 / dim), { owner, decay: false });
  params.create(OUTPUT_EMBED, [vocabSize, dim], constantInit(vocabSize * dim, 0), { owner, decay: false });
}
