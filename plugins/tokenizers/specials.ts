import { ErrorCodes, GraftError, badOption, type SpecialToken } from '../../core/index.ts';

/**
 * Special tokens get ids in this order whatever order the option lists them in, so `pad` is
 * always the first special (id 0 in the char tokenizer) and two configs that differ only in
 * the order of the list build the same vocabulary.
 */
export const SPECIAL_ORDER: readonly SpecialToken[] = ['pad', 'unk', 'bos', 'eos', 'mask', 'sep'];

/** Validate a `specials` option: known names, no repeats; returned in `SPECIAL_ORDER`. */
export function checkSpecials(plugin: string, option: string, list: readonly string[]): SpecialToken[] {
  const seen = new Set<string>();
  for (const s of list) {
    if (!SPECIAL_ORDER.includes(s as SpecialToken)) throw badOption(plugin, option, `special token names from ${SPECIAL_ORDER.join(', ')}`, s);
    if (seen.has(s)) throw badOption(plugin, option, 'each special token at most once', list);
    seen.add(s);
  }
  return SPECIAL_ORDER.filter((s) => seen.has(s));
}

/** Throw a coded error about a malformed tokenizer JSON unless `ok`. */
export function expectJson(ok: boolean, type: string, what: string, received?: unknown): asserts ok {
  if (!ok) {
    throw new GraftError(ErrorCodes.DATA, `malformed ${type} tokenizer JSON: ${what}`, {
      plugin: `tokenizer:${type}`,
      ...(received === undefined ? {} : { received }),
      hint: 'Load JSON written by toJSON() of the same tokenizer type',
    });
  }
}

/** Throw a coded error naming the tokenizer and the id when decode or idToToken gets an id outside the vocabulary. */
export function checkId(type: string, id: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new GraftError(ErrorCodes.DATA, `token id out of range`, {
      plugin: `tokenizer:${type}`,
      expected: `an integer in [0, ${vocabSize})`,
      received: id,
    });
  }
}

/** Options every `decode` accepts beyond the `Tokenizer` interface. */
export interface DecodeOptions {
  /** Drop special tokens instead of writing their token strings (default false). */
  skipSpecials?: boolean;
}
