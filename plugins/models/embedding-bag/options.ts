import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const EMBEDDING_BAG_OPTIONS = {
  vocabSize: { type: 'integer', min: 1, doc: "Rows of the token embedding. Default: the tokenizer's vocabSize, read at build time." },
  dim: { type: 'integer', default: 100, min: 1, doc: 'Embedding width: the word vectors\' dimension when they initialise it (skip-gram and wink vectors: 100).' },
  embedDropout: { type: 'number', default: 0.1, min: 0, max: 0.99, doc: 'Word dropout in training: each vocabulary word is dropped (its row zeroed at every occurrence in the batch) with this probability.' },
  initRange: { type: 'number', default: 0.1, min: 0, exclusiveMin: true, doc: 'Random init: uniform in [-initRange, initRange] (as model:awd-lstm).' },
} as const satisfies OptionSchema;

export type EmbeddingBagOptionsInput = InputOptions<typeof EMBEDDING_BAG_OPTIONS>;
