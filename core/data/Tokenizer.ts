/**
 * A tokenizer maps text to integer ids and back. Implementations are plain classes (no tensors),
 * serialisable to JSON so the vocabulary travels with a checkpoint from one stage to the next.
 */
export interface Tokenizer {
  /** `"char"`, `"byte-bpe"`, `"word"`: the `type` field of `toJSON()`, used to load it back. */
  readonly type: string;
  readonly vocabSize: number;
  /** Ids of special tokens that exist in this vocabulary (`pad`, `bos`, `eos`, `unk`, `mask`, `sep`). */
  readonly specials: Readonly<Partial<Record<SpecialToken, number>>>;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
  /** The token string for an id (for vocab alignment, e.g. with pre-trained word vectors). */
  idToToken(id: number): string;
  /** Id of a token string, or undefined. */
  tokenToId(token: string): number | undefined;
  toJSON(): { type: string; [k: string]: unknown };
}

export type SpecialToken = 'pad' | 'bos' | 'eos' | 'unk' | 'mask' | 'sep';
