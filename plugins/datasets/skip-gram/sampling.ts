import { Rng } from '../../../core/index.ts';

/**
 * Frequent-word subsampling, as word2vec.c computes it: a token of a word with count `c` among
 * `total` tokens is kept with probability min(1, (sqrt(c / (s·total)) + 1) · s·total / c), where
 * s = `sample` (1e-3 is word2vec's default; 0 keeps every token). Words rarer than s·total are
 * always kept; "the" and "," are mostly dropped, so windows reach further and the rare words'
 * pairs weigh more. Index = token id; ids never seen get 1 (they never occur).
 */
export function keepProbabilities(counts: ArrayLike<number>, sample: number): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const out = new Float64Array(counts.length).fill(1);
  if (sample <= 0 || total === 0) return out;
  const st = sample * total;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) out[i] = Math.min(1, (Math.sqrt(c / st) + 1) * (st / c));
  }
  return out;
}

/**
 * The negative-sampling distribution, count^power normalised (word2vec: power 0.75), as a
 * cumulative table for exact inverse-CDF draws (word2vec.c fills a 1e8-entry table instead,
 * which rounds the rarest words' share; a binary search over V entries costs log2 V steps).
 */
export class UnigramSampler {
  /** cdf[i] = Σ_{j<=i} count_j^power. */
  private readonly cdf: Float64Array;
  readonly total: number;

  constructor(counts: ArrayLike<number>, power: number) {
    this.cdf = new Float64Array(counts.length);
    let acc = 0;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i]!;
      acc += c > 0 ? Math.pow(c, power) : 0;
      this.cdf[i] = acc;
    }
    this.total = acc;
  }

  /** Probability of drawing id `i`. */
  probability(i: number): number {
    return (this.cdf[i]! - (i > 0 ? this.cdf[i - 1]! : 0)) / this.total;
  }

  /** One id, from a uniform draw of `rng`. */
  draw(rng: Rng): number {
    const u = rng.next() * this.total;
    // The first index whose cdf exceeds u: ids with probability 0 are never returned.
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** `n` draws into `out` (int32), from `rng`. */
  fill(rng: Rng, out: Int32Array): Int32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.draw(rng);
    return out;
  }
}
