/** How a new vocabulary relates to an old one, token by token. */
export interface VocabAlignment {
  /** For each new id: the old id of the same token string, or -1 when the token is new. */
  source: Int32Array;
  /** New tokens found in the old vocabulary (their rows are copied). */
  carried: number;
  /** New tokens absent from the old vocabulary (their rows get the mean). */
  added: number;
  /** Old tokens that no new token maps to (their rows are dropped). */
  dropped: number;
}

/**
 * Match tokens by string, not by id: a later stage's tokenizer may number the shared tokens
 * differently. If the old vocabulary lists a string twice, its first id wins.
 */
export function alignVocab(oldVocab: readonly string[], newVocab: readonly string[]): VocabAlignment {
  const oldIds = new Map<string, number>();
  oldVocab.forEach((tok, i) => {
    if (!oldIds.has(tok)) oldIds.set(tok, i);
  });
  const source = new Int32Array(newVocab.length);
  const used = new Uint8Array(oldVocab.length);
  let carried = 0;
  newVocab.forEach((tok, j) => {
    const i = oldIds.get(tok);
    source[j] = i ?? -1;
    if (i !== undefined) {
      carried++;
      used[i] = 1;
    }
  });
  let kept = 0;
  for (const u of used) kept += u;
  return { source, carried, added: newVocab.length - carried, dropped: oldVocab.length - kept };
}
