/**
 * Which held-out texts (a task's validation and test examples) a training corpus contains:
 * a text counts as contained when at least `threshold` of its word n-grams (lower-cased, runs of
 * letters and digits) occur anywhere in the corpus. N-grams are hashed to 52 bits, so the check
 * holds a few numbers per held-out word, never the corpus' n-grams; a rare hash collision moves
 * one n-gram, far from a text's threshold.
 */
export interface OverlapReport {
  /** Held-out texts checked (those of n words or more). */
  checked: number;
  /** Indices (into the held-out texts) of those the corpus contains. */
  contained: number[];
}

const WORD = /[\p{L}\p{N}]+/gu;

function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** FNV-1a over the string, two 32-bit lanes folded into 52 bits (exact in a double). */
function hash52(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return (a >>> 0) * 2 ** 20 + (b >>> 12);
}

/** Hashes of the n-grams of `ws` (none for a text shorter than n words: too short to tell a copy from chance). */
function ngramHashes(ws: readonly string[], n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + n <= ws.length; i++) out.push(hash52(ws.slice(i, i + n).join(' ')));
  return out;
}

export function textOverlap(corpus: readonly string[], heldOut: readonly string[], o: { n?: number; threshold?: number } = {}): OverlapReport {
  const n = o.n ?? 8;
  const threshold = o.threshold ?? 0.5;
  const perText = heldOut.map((t) => ngramHashes(words(t), n));
  const wanted = new Set(perText.flat());
  const seen = new Set<number>();
  for (const doc of corpus) {
    const ws = words(doc);
    for (let i = 0; i + n <= ws.length; i++) {
      const h = hash52(ws.slice(i, i + n).join(' '));
      if (wanted.has(h)) seen.add(h);
    }
  }
  const contained: number[] = [];
  let checked = 0;
  perText.forEach((hs, i) => {
    if (hs.length === 0) return;
    checked++;
    if (hs.filter((h) => seen.has(h)).length >= threshold * hs.length) contained.push(i);
  });
  return { checked, contained };
}
