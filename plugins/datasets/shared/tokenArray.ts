/** Token ids kept in memory: 2 bytes a token when the vocabulary fits, else 4. */
export type TokenArray = Int32Array | Uint16Array;

/** A typed array of length n for ids below `vocabSize`. */
export function allocTokens(n: number, vocabSize: number): TokenArray {
  return vocabSize <= 65536 ? new Uint16Array(n) : new Int32Array(n);
}
