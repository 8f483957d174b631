import type { RaggedTokens } from './raggedTokens.ts';

export interface PaddedBatch {
  /** [B, T] row-major token ids, padded at the end with `padId`. */
  inputs: Int32Array;
  /** [B, T] 1 on real tokens, 0 on padding. */
  mask: Float32Array;
  /** [B] real lengths (<= T). */
  lengths: Int32Array;
  T: number;
}

/**
 * Pad the sequences `indices` of `store` at the END to T = min(longest among them, maxLen),
 * cutting longer ones to their first T tokens (sequences are already truncated to maxLen at
 * encoding time, keeping the start or the end as configured, so no cut happens here in practice).
 */
export function padBatch(store: RaggedTokens, indices: ArrayLike<number>, maxLen: number, padId: number): PaddedBatch {
  const B = indices.length;
  let longest = 0;
  for (let b = 0; b < B; b++) {
    const i = indices[b]!;
    longest = Math.max(longest, store.offsets[i + 1]! - store.offsets[i]!);
  }
  const T = Math.max(1, Math.min(longest, maxLen));
  const inputs = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const i = indices[b]!;
    const s = store.offsets[i]!;
    const len = Math.min(T, store.offsets[i + 1]! - s);
    inputs.set(store.ids.subarray(s, s + len), b * T);
    mask.fill(1, b * T, b * T + len);
    lengths[b] = len;
  }
  return { inputs, mask, lengths, T };
}
