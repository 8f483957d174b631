import { seededPermutation } from './shuffle.ts';

export interface StratifiedSplit {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/**
 * Split example indices 0..n-1 into train/validation/test with the class ratios of the whole in
 * every part. Within class c (with n_c examples, shuffled by `seed` and the class id), the first
 * round(n_c * testFraction) go to test, the next round(n_c * validationFraction) to validation,
 * the rest to train. It depends only on (labels, fractions, seed): pass a seed that is not the run
 * seed and every run sees the same test set. Each part is returned in ascending index order.
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  numClasses: number,
  fractions: { validation: number; test: number },
  seed: number,
): StratifiedSplit {
  const byClass = groupByClass(labels, numClasses);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  byClass.forEach((members, c) => {
    const perm = seededPermutation(seed, `split:${c}`, members.length);
    const nTest = Math.min(members.length, Math.round(members.length * fractions.test));
    const nVal = Math.min(members.length - nTest, Math.round(members.length * fractions.validation));
    perm.forEach((p, k) => {
      const idx = members[p]!;
      (k < nTest ? parts.test : k < nTest + nVal ? parts.validation : parts.train).push(idx);
    });
  });
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(parts.train), validation: sorted(parts.validation), test: sorted(parts.test) };
}

/** Indices of each class, ascending. */
export function groupByClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const out: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) out[labels[i]!]!.push(i);
  return out;
}
