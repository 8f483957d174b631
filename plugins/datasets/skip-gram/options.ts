import type { OptionSchema } from '../../../core/index.ts';
import { TEXT_CORPUS_OPTIONS } from '../text-corpus/options.ts';

const T = TEXT_CORPUS_OPTIONS;

export const SKIP_GRAM_OPTIONS = {
  sources: { ...T.sources, default: ['npm:moby-dick'] as string[], doc: 'Where the text comes from: npm:moby-dick, npm:sotu, a file, or a folder (every .txt under it, sorted), concatenated in this order.' },
  sotuYears: T.sotuYears,
  sotuParties: T.sotuParties,
  maxChars: T.maxChars,
  validationFraction: { ...T.validationFraction, default: 0.02 },
  chunkChars: T.chunkChars,
  window: { type: 'integer', default: 5, min: 1, doc: "Largest distance between a centre and a context word; each centre draws its own window uniformly in 1..window (word2vec's dynamic window)." },
  sample: {
    type: 'number',
    default: 1e-3,
    min: 0,
    doc: "Subsampling threshold s: a token of a word of frequency f is kept with probability min(1, (sqrt(f/s) + 1)·s/f) (word2vec.c), drawn anew each pass; 0 keeps every token.",
  },
  negatives: { type: 'integer', default: 5, min: 1, doc: 'Negative words per (centre, context) pair, drawn from the unigram^power distribution of the training text.' },
  power: { type: 'number', default: 0.75, min: 0, doc: 'Exponent of the word counts in the negative-sampling distribution (word2vec: 0.75; 1 = unigram, 0 = uniform over seen words).' },
  batchSize: { type: 'integer', default: 1024, min: 1, doc: '(centre, context) pairs per batch B.' },
  blockTokens: { type: 'integer', default: 1000, min: 2, doc: "Tokens per block: windows never cross a block or document boundary, and training visits the blocks in a seeded order each pass (word2vec's 1000-word sentences)." },
  shuffleBuffer: { type: 'integer', default: 16384, min: 0, doc: 'Pairs held in the shuffle buffer each output is drawn from (0: pairs in pass order, about B/(2·window) consecutive centres per batch).' },
  maxValidationBatches: { type: 'integer', default: 16, min: 0, doc: 'Evaluate on at most this many validation batches (a seeded sample of the validation pairs; 0 = all).' },
  dropTokens: {
    type: 'string[]',
    default: ['xxmaj', 'xxup'] as string[],
    doc: "Tokens removed from the stream before windows are made, besides the tokenizer's special tokens (unk, pad, bos, eos), which always go: tokenizer:word's case markers by default.",
  },
} as const satisfies OptionSchema;
