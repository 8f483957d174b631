import type { Rng } from '../../core/index.ts';

export interface SampleOptions {
  /** Softmax temperature; 0 (or `greedy`) picks the argmax. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of most likely tokens whose mass reaches p (1: all). */
  topP?: number;
  /** Always pick the argmax. */
  greedy?: boolean;
}

/**
 * Draw a token id from one row of logits [V]. Greedy/argmax when `temperature` is 0; otherwise
 * softmax(logits / temperature) restricted to the top-k and then the top-p candidates, with one
 * uniform draw from `rng` (so the same Rng state gives the same token). NaN logits never win.
 */
export function sampleToken(logits: Float32Array, opts: SampleOptions, rng: Rng): number {
  const V = logits.length;
  if (V === 0) throw new Error('sampleToken: empty logits');
  const temperature = opts.temperature ?? 1;
  if (opts.greedy || temperature <= 0) return argmax(logits);
  const topK = opts.topK ?? 0;
  const topP = opts.topP ?? 1;

  let cand: Int32Array = topK > 0 && topK < V ? topKIndices(logits, topK) : allIndices(V);
  let max = -Infinity;
  for (const i of cand) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity || Number.isNaN(max)) return argmax(logits);
  const w = new Float64Array(cand.length);
  let total = 0;
  for (let j = 0; j < cand.length; j++) {
    const l = logits[cand[j]!]!;
    const e = Number.isNaN(l) ? 0 : Math.exp((l - max) / temperature);
    w[j] = e;
    total += e;
  }
  if (topP < 1) {
    // Most likely first; keep until the mass reaches topP (at least one token).
    const order = Array.from(cand.keys()).sort((a, b) => w[b]! - w[a]! || cand[a]! - cand[b]!);
    const keep: number[] = [];
    let mass = 0;
    for (const j of order) {
      keep.push(j);
      mass += w[j]!;
      if (mass >= topP * total) break;
    }
    cand = Int32Array.from(keep, (j) => cand[j]!);
    const w2 = new Float64Array(keep.length);
    keep.forEach((j, n) => (w2[n] = w[j]!));
    return draw(cand, w2, mass, rng);
  }
  return draw(cand, w, total, rng);
}

function draw(cand: Int32Array, w: Float64Array, total: number, rng: Rng): number {
  let r = rng.next() * total;
  for (let j = 0; j < cand.length; j++) {
    r -= w[j]!;
    if (r < 0) return cand[j]!;
  }
  // Rounding left r >= 0: the last candidate with mass.
  for (let j = cand.length - 1; j >= 0; j--) if (w[j]! > 0) return cand[j]!;
  return cand[0]!;
}

/** Index of the largest logit (the first one on ties; NaN is never the largest). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

function allIndices(V: number): Int32Array {
  const a = new Int32Array(V);
  for (let i = 0; i < V; i++) a[i] = i;
  return a;
}

/**
 * Indices of the k largest logits, in O(V): the k-th largest value by quickselect on a copy,
 * then everything above it plus enough of the ties (lowest ids first).
 */
export function topKIndices(logits: Float32Array, k: number): Int32Array {
  const V = logits.length;
  const vals = Float32Array.from(logits, (v) => (Number.isNaN(v) ? -Infinity : v));
  const kth = quickselectDesc(Float32Array.from(vals), k - 1);
  const out = new Int32Array(k);
  let n = 0;
  for (let i = 0; i < V && n < k; i++) if (vals[i]! > kth) out[n++] = i;
  for (let i = 0; i < V && n < k; i++) if (vals[i] === kth) out[n++] = i;
  return out;
}

/** The value that would sit at position `k` if `a` were sorted descending (a is reordered). */
function quickselectDesc(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
