import { pairKey } from './pairKey.ts';

/** Position within a word packed under the rank in one heap priority (rank * 2^32 + position). */
const POS = 2 ** 32;

/**
 * Encode one pre-token's bytes with learned merges: repeatedly merge the adjacent pair of lowest
 * rank, leftmost first (GPT-2's rule). Merges that a merge creates always have a higher rank
 * than it, so popping (rank, position) from a min-heap over a linked list of symbols gives the
 * same result as GPT-2's rescanning loop in O(n log n) instead of O(n²): a long run of
 * punctuation or a pasted blob without spaces stays cheap.
 *
 * `ranks` maps `pairKey(a, b)` to the merge index; merge r produces id `256 + r`.
 */
export function applyMerges(bytes: ArrayLike<number>, ranks: ReadonlyMap<number, number>): Int32Array {
  const n = bytes.length;
  const sym = Int32Array.from(bytes);
  if (n < 2) return sym;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap: number[] = [];
  const offer = (i: number, j: number) => {
    const r = ranks.get(pairKey(sym[i]!, sym[j]!));
    if (r !== undefined) heapPush(heap, r * POS + i);
  };
  for (let i = 0; i + 1 < n; i++) offer(i, i + 1);

  while (heap.length > 0) {
    const pr = heapPop(heap);
    const r = Math.floor(pr / POS);
    const i = pr - r * POS;
    if (sym[i]! < 0) continue; // merged into its left neighbour since
    const j = next[i]!;
    // Stale: the pair at i changed since this entry was pushed (a rank names exactly one pair).
    if (j < 0 || ranks.get(pairKey(sym[i]!, sym[j]!)) !== r) continue;
    sym[i] = 256 + r;
    sym[j] = -1;
    const k = next[j]!;
    next[i] = k;
    if (k >= 0) prev[k] = i;
    if (prev[i]! >= 0) offer(prev[i]!, i);
    if (k >= 0) offer(i, k);
  }

  let len = 0;
  for (let i = 0; i >= 0; i = next[i]!) len++;
  const out = new Int32Array(len);
  let o = 0;
  for (let i = 0; i >= 0; i = next[i]!) out[o++] = sym[i]!;
  return out;
}

function heapPush(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  const n = h.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
