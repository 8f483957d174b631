/**
 * A pair of token ids packed into one number, so pair counts and merge ranks live in a
 * Map<number, number> (much faster than string keys). Ordering keys orders pairs by left id,
 * then right id: the deterministic tie-break of training.
 */
export const MAX_BPE_VOCAB = 1 << 21;

export function pairKey(a: number, b: number): number {
  return a * MAX_BPE_VOCAB + b;
}

export function pairLeft(key: number): number {
  return Math.floor(key / MAX_BPE_VOCAB);
}

export function pairRight(key: number): number {
  return key % MAX_BPE_VOCAB;
}
