/**
 * The hook-overhead section's arithmetic (sections/hookOverhead.ts): two trainers and two bare loops
 * timed in rounds of blocks; the overhead of the trainers' step over the bare loops', and the
 * instrument's own reading from each pair of twins (A/A).
 */
import type { StepTimes } from '../measure.ts';
import { median, overheadPercent, quantile } from './stats.ts';

/** The trainers' step time against the bare loops', by one clock. */
export interface Overhead {
  bareMs: number;
  graftMs: number;
  /** Median graft step minus median bare step (all intervals of both trainers, of both bare loops). */
  overheadMsPerStep: number;
  /** (graft - bare) / bare of the median step times, in percent. */
  overheadPercent: number;
  /**
   * Median over rounds of each round's overhead: the mean of the two trainers' block medians
   * against the bare loops' (robust to drift between rounds)...
   */
  pairedOverheadPercent: number;
  /** ...and the quartiles of the per-round overheads: how much load moves one round. */
  pairedQuartilesPercent: [number, number];
  /**
   * The instrument's own reading (A/A), per-round median like `pairedOverheadPercent`: the second
   * trainer against the first, the second bare loop against the first. Identical loops differ by
   * where their tensors landed in the heap; a difference from the target smaller than this is not
   * resolved.
   */
  aaPercent: { trainers: number; bareLoops: number };
}

/**
 * The trainers' step time against the bare loops' from rounds of blocks: `rounds[r][i]` is loop i's
 * block in round r, loops in the order they were made: trainer 1, bare 1, bare 2, trainer 2.
 */
export function overheadOfRounds(rounds: readonly (readonly StepTimes[])[], clock: 'wall' | 'cpu'): Overhead {
  const at = (i: number) => rounds.map((r) => median(r[i]![clock]));
  const [g1, b1, b2, g2] = [at(0), at(1), at(2), at(3)];
  const all = (i: number) => rounds.flatMap((r) => r[i]![clock]);
  const gm = median([...all(0), ...all(3)]);
  const bm = median([...all(1), ...all(2)]);
  const paired = g1.map((g, r) => overheadPercent((g + g2[r]!) / 2, (b1[r]! + b2[r]!) / 2));
  return {
    bareMs: bm,
    graftMs: gm,
    overheadMsPerStep: gm - bm,
    overheadPercent: overheadPercent(gm, bm),
    pairedOverheadPercent: median(paired),
    pairedQuartilesPercent: [quantile(paired, 0.25), quantile(paired, 0.75)],
    aaPercent: {
      trainers: median(g2.map((g, r) => overheadPercent(g, g1[r]!))),
      bareLoops: median(b2.map((b, r) => overheadPercent(b, b1[r]!))),
    },
  };
}

