import { pairedVerdict, type PairedVerdict } from './pairedVerdict.ts';

/**
 * One classifier of the experiment at a labelled-set size and a seed: a trained variant, or a
 * baseline computed on the same subsample and test split (bag-of-words logistic regression, and
 * the training set's majority class).
 */
export interface RunRecord {
  variant: 'scratch' | 'transfer' | 'bag-of-words' | 'majority';
  /** The size asked for (0: the whole training split). */
  size: number;
  /** Labelled examples the run actually trained on. */
  examples: number;
  seed: number;
  f1: number;
  accuracy: number;
  /** Whether the run predicted one class for the whole test set. */
  collapsed?: boolean;
  /** The step whose parameters were tested, when a model-choice callback restored the best (callback:early-stopping). */
  chosenStep?: number;
  /** Steps the run trained. */
  steps?: number;
  /** Whether the run predicted one class for at least 95% of the test set (collapsed runs included): see `mostlyOneClass`. */
  mostlyOneClass?: boolean;
}

/** Mean, sample standard deviation (n − 1; 0 for one value), min and max. */
export interface Spread {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface Scores {
  f1: Spread;
  accuracy: Spread;
}

export interface SizeRow {
  size: number;
  examples: number;
  scratch: Scores;
  transfer: Scores;
  /** Baselines on the same subsamples (n = 0 when the experiment did not compute them). */
  bagOfWords: Scores;
  majority: Scores;
  /** transfer F1 − scratch F1, paired by seed (same labelled subsample, same seed). */
  f1Difference: Spread;
  /** Seeds where transfer's F1 is above scratch's, however little (see `verdict` for what counts). */
  transferAhead: number;
  /** Whether the paired difference exceeds the run-to-run noise (95% interval over seeds). */
  verdict: PairedVerdict;
  /** Runs of each variant that predicted one class for the whole test set. */
  collapsed: { scratch: number; transfer: number };
  /** Runs of each variant that predicted one class for at least 95% of it (collapsed ones included). */
  mostlyOneClass: { scratch: number; transfer: number };
  seeds: number[];
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { n, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Rows by labelled-set size (ascending by examples), each with both variants' spread over seeds
 * and the paired difference. Only seeds with both variants count in the difference.
 */
export function aggregate(runs: readonly RunRecord[]): SizeRow[] {
  const sizes = [...new Set(runs.map((r) => r.size))];
  const rows = sizes.map((size): SizeRow => {
    const at = runs.filter((r) => r.size === size);
    const of = (v: RunRecord['variant']) => at.filter((r) => r.variant === v).sort((a, b) => a.seed - b.seed);
    const scratch = of('scratch');
    const transfer = of('transfer');
    const scores = (rs: readonly RunRecord[]): Scores => ({ f1: spread(rs.map((r) => r.f1)), accuracy: spread(rs.map((r) => r.accuracy)) });
    const pairs = transfer.flatMap((t) => {
      const s = scratch.find((r) => r.seed === t.seed);
      return s ? [t.f1 - s.f1] : [];
    });
    return {
      size,
      examples: Math.max(...at.map((r) => r.examples)),
      scratch: scores(scratch),
      transfer: scores(transfer),
      bagOfWords: scores(of('bag-of-words')),
      majority: scores(of('majority')),
      f1Difference: spread(pairs),
      transferAhead: pairs.filter((d) => d > 0).length,
      verdict: pairedVerdict(pairs),
      collapsed: { scratch: scratch.filter((r) => r.collapsed).length, transfer: transfer.filter((r) => r.collapsed).length },
      mostlyOneClass: { scratch: scratch.filter((r) => r.mostlyOneClass || r.collapsed).length, transfer: transfer.filter((r) => r.mostlyOneClass || r.collapsed).length },
      seeds: [...new Set(at.map((r) => r.seed))].sort((a, b) => a - b),
    };
  });
  return rows.sort((a, b) => a.examples - b.examples);
}
