import { utf8Encoder } from '../utf8.ts';
import { PairHeap } from './PairHeap.ts';
import { pairKey, pairLeft, pairRight } from './pairKey.ts';

/**
 * Learn byte-level BPE merges from pre-token counts. Merge i joins the pair (a, b) into the new
 * id 256 + i. Each step merges the most frequent adjacent pair (counted over the pre-tokens,
 * weighted by their frequency; ties to the lowest (a, b)) and stops early when no pair occurs
 * at least `minFrequency` times.
 *
 * Fast because it never rescans the corpus: pair counts are kept up to date incrementally. Each
 * pair remembers the words it occurs in, and a merge only rewrites those words, adding the
 * difference of their pair counts before and after; a lazy max-heap finds the next best pair.
 */
export function learnMerges(pieces: ReadonlyMap<string, number>, numMerges: number, minFrequency = 2): Array<[number, number]> {
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, count] of pieces) {
    const bytes = utf8Encoder.encode(piece);
    if (bytes.length < 2) continue; // no pair to learn from
    words.push(Array.from(bytes));
    freqs.push(count);
  }

  const counts = new Map<number, number>();
  /** Pair → indices of words that contain (or once contained) it; checked when used. */
  const where = new Map<number, number[]>();
  const addWhere = (key: number, w: number) => {
    const list = where.get(key);
    if (list === undefined) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  for (let w = 0; w < words.length; w++) {
    const s = words[w]!;
    const f = freqs[w]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const k = pairKey(s[i]!, s[i + 1]!);
      counts.set(k, (counts.get(k) ?? 0) + f);
      addWhere(k, w);
    }
  }
  const heap = new PairHeap();
  for (const [k, c] of counts) heap.push(c, k);

  const merges: Array<[number, number]> = [];
  const visited = new Int32Array(words.length).fill(-1);
  const delta = new Map<number, number>();
  const bump = (k: number, d: number) => delta.set(k, (delta.get(k) ?? 0) + d);

  while (merges.length < numMerges) {
    const best = popBest(heap, counts, minFrequency);
    if (best < 0) break;
    const a = pairLeft(best);
    const b = pairRight(best);
    const z = 256 + merges.length;
    merges.push([a, b]);
    delta.clear();
    for (const w of where.get(best) ?? []) {
      if (visited[w] === z) continue;
      visited[w] = z;
      const s = words[w]!;
      if (!containsPair(s, a, b)) continue;
      const f = freqs[w]!;
      for (let i = 0; i + 1 < s.length; i++) bump(pairKey(s[i]!, s[i + 1]!), -f);
      const next = mergePair(s, a, b, z);
      for (let i = 0; i + 1 < next.length; i++) {
        const x = next[i]!;
        const y = next[i + 1]!;
        const k = pairKey(x, y);
        bump(k, f);
        // Only pairs with the new id are new to this word; the others already list it.
        if (x === z || y === z) addWhere(k, w);
      }
      words[w] = next;
    }
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const c = (counts.get(k) ?? 0) + d;
      if (c > 0) {
        counts.set(k, c);
        heap.push(c, k);
      } else {
        counts.delete(k);
        where.delete(k);
      }
    }
    counts.delete(best);
    where.delete(best);
  }
  return merges;
}

/** Pop the best live pair with at least `minFrequency` occurrences, or -1; skips stale entries. */
function popBest(heap: PairHeap, counts: Map<number, number>, minFrequency: number): number {
  while (heap.size > 0) {
    const c = heap.topCount();
    const k = heap.topKey();
    if (counts.get(k) !== c) {
      heap.pop();
      continue;
    }
    if (c < minFrequency) return -1; // the top is the maximum: nothing else qualifies
    heap.pop();
    return k;
  }
  return -1;
}

function containsPair(s: number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) return true;
  return false;
}

/** Replace non-overlapping occurrences of (a, b), left to right, by z ("aaa" → "Z a"). */
export function mergePair(s: readonly number[], a: number, b: number, z: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
      out.push(z);
      i++;
    } else {
      out.push(s[i]!);
    }
  }
  return out;
}
