import { seededPermutation } from './shuffle.ts';
import { groupByClass } from './stratifiedSplit.ts';

/**
 * A stratified subsample of `size` examples out of `labels` (indices into it, ascending), nested:
 * with the same seed, the subsample of size m is contained in that of every size > m, so
 * experiments at 50, 100, 300 labels add examples rather than draw new ones.
 *
 * How: shuffle each class by (seed, class id); give the r-th member of class c (of n_c) the key
 * (r + 1/2) / n_c; take the `size` smallest keys (ties by class id). This is the Sainte-Laguë
 * divisor method of apportionment, which never takes a member away as the size grows, and keeps
 * every class within about one example of size * n_c / n (exactly within one for two classes).
 */
export function stratifiedSubsample(labels: ArrayLike<number>, numClasses: number, size: number, seed: number): Int32Array {
  const n = labels.length;
  if (size <= 0 || size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  return Int32Array.from(subsampleOrder(labels, numClasses, seed).subarray(0, size)).sort();
}

/** All indices in the order the subsample takes them (prefix of length m = subsample of size m). */
export function subsampleOrder(labels: ArrayLike<number>, numClasses: number, seed: number): Int32Array {
  const byClass = groupByClass(labels, numClasses);
  const items: { idx: number; c: number; r: number; nc: number }[] = [];
  byClass.forEach((members, c) => {
    const perm = seededPermutation(seed, `subsample:${c}`, members.length);
    perm.forEach((p, r) => items.push({ idx: members[p]!, c, r, nc: members.length }));
  });
  // Compare (2r+1)/(2 n_c) exactly in integers: no floating-point ties.
  items.sort((a, b) => (2 * a.r + 1) * b.nc - (2 * b.r + 1) * a.nc || a.c - b.c);
  return Int32Array.from(items, (x) => x.idx);
}
