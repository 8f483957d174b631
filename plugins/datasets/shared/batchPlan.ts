import { epochPermutation, seededPermutation } from './shuffle.ts';

/** Cut an order of example indices into batches of `batchSize` (the last may be smaller). */
export function cutBatches(order: Int32Array, batchSize: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let s = 0; s < order.length; s += batchSize) out.push(order.subarray(s, Math.min(order.length, s + batchSize)));
  return out;
}

/**
 * "Sortish" batching: split `order` into pools of `poolBatches` batches, sort each pool by length
 * (longest first, ties by index), cut it into batches, then shuffle all batches with (seed, label).
 * Batches hold similar lengths (less padding) yet the order stays random. Because each pool is a
 * multiple of the batch size, the number of batches equals ceil(order.length / batchSize).
 */
export function sortishBatches(
  order: Int32Array,
  lengths: ArrayLike<number>,
  batchSize: number,
  poolBatches: number,
  seed: number,
  label: string,
): Int32Array[] {
  const pool = batchSize * Math.max(1, poolBatches);
  const batches: Int32Array[] = [];
  for (let s = 0; s < order.length; s += pool) {
    const p = Int32Array.from(order.subarray(s, Math.min(order.length, s + pool)));
    p.sort((a, b) => lengths[b]! - lengths[a]! || a - b);
    batches.push(...cutBatches(p, batchSize));
  }
  const perm = seededPermutation(seed, `sortish:${label}`, batches.length);
  return Array.from(perm, (k) => batches[k]!);
}

export interface PlanOptions {
  batchSize: number;
  /** Shuffle (training) or keep the given order (evaluation). */
  shuffle: boolean;
  seed: number;
  epoch: number;
  /** Drop the last partial batch (training only), unless it is the only batch. */
  dropLast: boolean;
  /** Batch similar lengths together; 0 = off, else the pool size in batches. */
  sortishPool: number;
  lengths: ArrayLike<number>;
}

/**
 * The batches of one epoch over examples 0..n-1, as index lists. A function of its arguments
 * only: the order of epoch e is the same whenever it is asked for.
 *
 * Training: a permutation of (seed, epoch); with `dropLast`, the permutation's tail of n mod B is
 * left out (a different tail each epoch) when a full batch remains (fewer than B examples make one
 * partial batch, not an empty epoch); with sortish pools, see `sortishBatches`.
 * Evaluation: the natural order, or sorted by length (longest first) with sortish; never dropped.
 */
export function planBatches(n: number, o: PlanOptions): Int32Array[] {
  if (o.shuffle) {
    let perm = epochPermutation(o.seed, o.epoch, n);
    if (o.dropLast && n >= o.batchSize) perm = perm.subarray(0, n - (n % o.batchSize));
    return o.sortishPool > 0 ? sortishBatches(perm, o.lengths, o.batchSize, o.sortishPool, o.seed, `epoch:${o.epoch}`) : cutBatches(perm, o.batchSize);
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (o.sortishPool > 0) order.sort((a, b) => o.lengths[b]! - o.lengths[a]! || a - b);
  return cutBatches(order, o.batchSize);
}

/** Number of batches `planBatches` returns. */
export function planCount(n: number, batchSize: number, dropLast: boolean): number {
  return dropLast && n >= batchSize ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
