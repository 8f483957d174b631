import type { Tokenizer } from '../../../core/index.ts';

/** The token string of every id, in id order: what vocabularies are aligned on across stages and with word vectors. */
export function vocabularyOf(tokenizer: Tokenizer): string[] {
  const out = new Array<string>(tokenizer.vocabSize);
  for (let i = 0; i < tokenizer.vocabSize; i++) out[i] = tokenizer.idToToken(i);
  return out;
}
