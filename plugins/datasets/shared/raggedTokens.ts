import type { Tokenizer } from '../../../core/index.ts';
import { checkIds } from './encodeStream.ts';
import { allocTokens, type TokenArray } from './tokenArray.ts';

/** Variable-length sequences in one flat array: sequence i is ids[offsets[i] .. offsets[i+1]). */
export interface RaggedTokens {
  ids: TokenArray;
  offsets: Int32Array;
}

export type TruncateSide = 'keep-start' | 'keep-end';

/**
 * Encode texts once into ragged storage, each truncated so that it fits `maxLen` tokens with its
 * specials (keeping its start or its end): `prependId` (a bos / CLS) put first and `appendId` (an
 * eos) put last after truncation, so they are always there and count toward `maxLen`.
 */
export function encodeRagged(
  texts: readonly string[],
  tokenizer: Tokenizer,
  o: { maxLen: number; truncate: TruncateSide; prependId?: number; appendId?: number; plugin: string },
): RaggedTokens {
  const head = o.prependId === undefined ? 0 : 1;
  const extra = head + (o.appendId === undefined ? 0 : 1);
  const keep = Math.max(0, o.maxLen - extra);
  const parts = texts.map((t) => {
    const ids = tokenizer.encode(t);
    checkIds(ids, tokenizer.vocabSize, o.plugin);
    if (ids.length <= keep) return ids;
    return o.truncate === 'keep-start' ? ids.subarray(0, keep) : ids.subarray(ids.length - keep);
  });
  const offsets = new Int32Array(parts.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i]! + p.length + extra));
  const ids = allocTokens(offsets[parts.length]!, tokenizer.vocabSize);
  parts.forEach((p, i) => {
    if (o.prependId !== undefined) ids[offsets[i]!] = o.prependId;
    ids.set(p, offsets[i]! + head);
    if (o.appendId !== undefined) ids[offsets[i + 1]! - 1] = o.appendId;
  });
  return { ids, offsets };
}

/** Length of every sequence. */
export function raggedLengths(r: RaggedTokens): Int32Array {
  const n = r.offsets.length - 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.offsets[i + 1]! - r.offsets[i]!;
  return out;
}
