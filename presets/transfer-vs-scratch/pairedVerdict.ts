/**
 * Whether a paired difference (transfer − scratch, seed by seed) is larger than the run-to-run
 * noise: the 95% confidence interval of its mean, mean ± t(0.975, n − 1) · std / √n (Student's t,
 * the seeds as a sample). Ahead only when the whole interval is on one side of zero; one seed
 * gives no interval, so no verdict. With 3 seeds t is 4.30: only a large, consistent gap counts.
 */
export type Verdict = 'transfer ahead' | 'scratch ahead' | 'within noise' | 'one seed';

export interface PairedVerdict {
  verdict: Verdict;
  /** The 95% interval of the mean difference ([mean, mean] for one seed). */
  low: number;
  high: number;
}

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t(0.975, df); the normal 1.96 beyond 30 degrees of freedom (within 2% of t there). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be an integer >= 1, got ${df}`);
  return T975[df - 1] ?? 1.96;
}

export function pairedVerdict(differences: readonly number[]): PairedVerdict {
  const n = differences.length;
  if (n === 0) return { verdict: 'one seed', low: NaN, high: NaN };
  const mean = differences.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { verdict: 'one seed', low: mean, high: mean };
  const std = Math.sqrt(differences.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * std) / Math.sqrt(n);
  const low = mean - half;
  const high = mean + half;
  return { verdict: low > 0 ? 'transfer ahead' : high < 0 ? 'scratch ahead' : 'within noise', low, high };
}
