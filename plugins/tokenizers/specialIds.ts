import type { Tokenizer } from '../../core/index.ts';
import { WORD_SPECIALS } from './word/WordTokenizer.ts';

/**
 * Ids that are not words: the tokenizer's special tokens (unk, pad, bos, eos, ...) and the ids of
 * the `extra` token strings it has (default: tokenizer:word's specials, xxmaj and xxup included).
 * dataset:skip-gram drops them from its stream; the GloVe export (callback:export-vectors, graft
 * export-vectors) leaves them out.
 */
export function specialIds(tokenizer: Tokenizer, extra: readonly string[] = WORD_SPECIALS): Set<number> {
  const out = new Set<number>(Object.values(tokenizer.specials).filter((v): v is number => typeof v === 'number'));
  for (const t of extra) {
    const id = tokenizer.tokenToId(t);
    if (id !== undefined) out.add(id);
  }
  return out;
}
