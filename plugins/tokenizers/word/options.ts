import { resolveOptions, type OptionSchema } from '../../../core/index.ts';

export const WORD_TOKENIZER = 'tokenizer:word';

/** Options of the word tokenizer itself (what `WordTokenizer.fit` takes). */
export const WORD_FIT_OPTIONS = {
  lowercase: {
    type: 'boolean',
    default: true,
    doc: 'Lower-case words, marking capitalised words with xxmaj and all-caps words with xxup so decode restores them',
  },
  minFreq: {
    type: 'integer',
    default: 2,
    min: 1,
    doc: 'Keep words seen at least this many times; rarer words become xxunk',
  },
  maxVocab: {
    type: 'integer',
    default: 30000,
    min: 6,
    doc: 'Cap on the whole vocabulary, the 6 special tokens included; keeps the most frequent words',
  },
} satisfies OptionSchema;

export const WORD_TOKENIZER_OPTIONS = {
  from: {
    type: 'string',
    doc: 'A tokenizer JSON file, or a checkpoint folder whose manifest holds this plugin\'s state; default: fit on the dataset',
  },
  ...WORD_FIT_OPTIONS,
} satisfies OptionSchema;

export interface WordFitOptions {
  lowercase: boolean;
  minFreq: number;
  maxVocab: number;
}

export function resolveWordFitOptions(input: Record<string, unknown> = {}): WordFitOptions {
  return resolveOptions(WORD_TOKENIZER, WORD_FIT_OPTIONS, input);
}
