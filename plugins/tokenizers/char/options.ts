import { badOption, resolveOptions, type InputOptions, type OptionSchema, type SpecialToken } from '../../../core/index.ts';
import { checkSpecials } from '../specials.ts';

export const CHAR_TOKENIZER = 'tokenizer:char';

/** Options of the char tokenizer itself (what `CharTokenizer.fit` takes). */
export const CHAR_FIT_OPTIONS = {
  specials: {
    type: 'string[]',
    default: ['pad', 'unk', 'bos', 'eos'],
    doc: 'Special tokens, ids first in the order pad, unk, bos, eos, mask, sep (pad = 0)',
  },
  byteFallback: {
    type: 'boolean',
    default: true,
    doc: 'Encode characters unseen at fit time as 256 reserved UTF-8 byte tokens, so any text round-trips; if false they map to unk',
  },
  maxVocab: {
    type: 'integer',
    min: 1,
    doc: 'Cap on the whole vocabulary (specials + byte tokens + characters); keeps the most frequent characters, ties to the lower code point. Default: no cap',
  },
} satisfies OptionSchema;

/** The plugin's options: where to load a tokenizer from, plus the fit options. */
export const CHAR_TOKENIZER_OPTIONS = {
  from: {
    type: 'string',
    doc: 'A tokenizer JSON file, or a checkpoint folder whose manifest holds this plugin\'s state; default: fit on the dataset',
  },
  ...CHAR_FIT_OPTIONS,
} satisfies OptionSchema;

export interface CharFitOptions {
  specials: SpecialToken[];
  byteFallback: boolean;
  maxVocab: number | undefined;
}

/** Validate fit options, including the checks a schema cannot express. */
export function resolveCharFitOptions(input: InputOptions<typeof CHAR_FIT_OPTIONS> | Record<string, unknown> = {}): CharFitOptions {
  const o = resolveOptions(CHAR_TOKENIZER, CHAR_FIT_OPTIONS, input);
  return checkCharFitOptions(o);
}

export function checkCharFitOptions(o: { specials: string[]; byteFallback: boolean; maxVocab?: number }): CharFitOptions {
  const specials = checkSpecials(CHAR_TOKENIZER, 'specials', o.specials);
  if (!o.byteFallback && !specials.includes('unk')) {
    throw badOption(CHAR_TOKENIZER, 'specials', 'to include "unk" when byteFallback is false (unseen characters map to it)', o.specials);
  }
  const reserved = specials.length + (o.byteFallback ? 256 : 0);
  if (o.maxVocab !== undefined && o.maxVocab < reserved) {
    throw badOption(CHAR_TOKENIZER, 'maxVocab', `an integer >= ${reserved} (specials${o.byteFallback ? ' + 256 byte tokens' : ''})`, o.maxVocab);
  }
  return { specials, byteFallback: o.byteFallback, maxVocab: o.maxVocab };
}
