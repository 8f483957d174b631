import { badOption, resolveOptions, type OptionSchema, type SpecialToken } from '../../../core/index.ts';
import { checkSpecials } from '../specials.ts';
import { MAX_BPE_VOCAB } from './pairKey.ts';

export const BYTE_BPE_TOKENIZER = 'tokenizer:byte-bpe';

/** Options of the byte-level BPE tokenizer itself (what `ByteBpeTokenizer.fit` takes). */
export const BYTE_BPE_FIT_OPTIONS = {
  vocabSize: {
    type: 'integer',
    default: 512,
    min: 256,
    max: MAX_BPE_VOCAB,
    doc: 'Target vocabulary size: 256 bytes + learned merges + specials (at least 256 + the number of specials). Training stops earlier if no pair is frequent enough',
  },
  specials: {
    type: 'string[]',
    default: ['pad', 'bos', 'eos'],
    doc: 'Special tokens (pad, unk, bos, eos, mask, sep), ids after the learned vocabulary in that order',
  },
  minFrequency: {
    type: 'integer',
    default: 2,
    min: 1,
    doc: 'A pair must occur at least this often to be merged',
  },
  allowSpecialInText: {
    type: 'boolean',
    default: false,
    doc: 'Read special token strings written in the text ("<|endoftext|>") as the special ids; off, they are plain text',
  },
} satisfies OptionSchema;

export const BYTE_BPE_TOKENIZER_OPTIONS = {
  from: {
    type: 'string',
    doc: 'A tokenizer JSON file, or a checkpoint folder whose manifest holds this plugin\'s state; default: fit on the dataset',
  },
  ...BYTE_BPE_FIT_OPTIONS,
} satisfies OptionSchema;

export interface ByteBpeFitOptions {
  vocabSize: number;
  specials: SpecialToken[];
  minFrequency: number;
  allowSpecialInText: boolean;
}

export function resolveByteBpeFitOptions(input: Record<string, unknown> = {}): ByteBpeFitOptions {
  return checkByteBpeFitOptions(resolveOptions(BYTE_BPE_TOKENIZER, BYTE_BPE_FIT_OPTIONS, input));
}

/** The checks a schema cannot express: known specials, and room for them beside the 256 bytes. */
export function checkByteBpeFitOptions(o: { vocabSize: number; specials: string[]; minFrequency: number; allowSpecialInText: boolean }): ByteBpeFitOptions {
  const specials = checkSpecials(BYTE_BPE_TOKENIZER, 'specials', o.specials);
  if (o.vocabSize < 256 + specials.length) {
    throw badOption(BYTE_BPE_TOKENIZER, 'vocabSize', `an integer >= ${256 + specials.length} (256 bytes + ${specials.length} specials)`, o.vocabSize);
  }
  return { vocabSize: o.vocabSize, specials, minFrequency: o.minFrequency, allowSpecialInText: o.allowSpecialInText };
}
