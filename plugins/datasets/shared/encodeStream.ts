import { ErrorCodes, GraftError, type Tokenizer } from '../../../core/index.ts';
import { allocTokens, type TokenArray } from './tokenArray.ts';

/**
 * Encode documents once into one token stream for language modelling, with `separator` (the
 * tokenizer's `eos`, when it has one) between consecutive documents so the model sees where one
 * ends; with no separator they are simply concatenated. Ids are range-checked so a 2-byte store
 * never wraps silently.
 */
export function encodeStream(texts: readonly string[], tokenizer: Tokenizer, separator: number | undefined, plugin: string): TokenArray {
  const parts = texts.map((t) => tokenizer.encode(t));
  const sep = separator === undefined ? 0 : 1;
  let n = 0;
  for (const p of parts) n += p.length;
  n += Math.max(0, parts.length - 1) * sep;
  const out = allocTokens(n, tokenizer.vocabSize);
  let o = 0;
  parts.forEach((p, i) => {
    if (i > 0 && separator !== undefined) out[o++] = separator;
    checkIds(p, tokenizer.vocabSize, plugin);
    out.set(p, o);
    o += p.length;
  });
  return out;
}

/** Throw if any id is outside [0, vocabSize). */
export function checkIds(ids: Int32Array, vocabSize: number, plugin: string): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (v < 0 || v >= vocabSize) {
      throw new GraftError(ErrorCodes.DATA, `the tokenizer produced id ${v}, outside its vocabulary`, {
        plugin,
        expected: `ids in [0, ${vocabSize})`,
        hint: 'The tokenizer plugin is inconsistent: its encode() returns ids >= vocabSize',
      });
    }
  }
}
