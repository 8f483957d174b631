import { Rng } from '../../../core/index.ts';

/**
 * A permutation of 0..n-1 that depends only on `seed` and `label`. Datasets derive every order
 * from a seed captured once, never from a live stream, so the order of epoch e is the same in a
 * fresh run and in a run resumed halfway through it.
 */
export function seededPermutation(seed: number, label: string, n: number): Int32Array {
  return new Rng(seed).fork(label).permutation(n);
}

/** The shuffle of epoch `epoch`: a function of (seed, epoch) only. */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  return seededPermutation(seed, `epoch:${epoch}`, n);
}

/** An integer in [0, n) that depends only on (seed, label). */
export function seededInt(seed: number, label: string, n: number): number {
  return new Rng(seed).fork(label).int(n);
}
