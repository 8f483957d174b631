/**
 * `k` distinct indices out of 0..n-1, one in the middle of each of k equal strata, ascending.
 * Used to hold out validation chunks spread over the whole corpus (not just its end, which would
 * be a shift in distribution) and to cap evaluation to a representative subset.
 */
export function evenlySpacedIndices(n: number, k: number): Int32Array {
  const m = Math.max(0, Math.min(k, n));
  const out = new Int32Array(m);
  for (let j = 0; j < m; j++) out[j] = Math.floor(((j + 0.5) * n) / m);
  return out;
}

/**
 * How many of `n` items to hold out for a fraction: `round(n * fraction)`, but at least one and
 * at most n-1 when the fraction is positive and there are two items or more, so a small corpus
 * still gets a validation set and keeps training data.
 */
export function heldOutCount(n: number, fraction: number): number {
  if (fraction <= 0 || n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}
