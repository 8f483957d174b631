/** Where each vocabulary row's vector came from. */
export interface FillResult {
  /** Tokens that got a pre-trained vector. */
  found: number;
  /** Of those, tokens matched only through their lower-cased form. */
  lowercased: number;
  /** Tokens without a vector (left as they were, or set to the mean). */
  missing: string[];
}

/**
 * Write pre-trained vectors into an embedding matrix [vocab.length, dim] (row-major, in place):
 * row i gets the vector of `vocab[i]`, else of its lower-cased form when `lowercase`, else it is
 * kept (`missing: 'keep'`) or set to the mean of the vectors used (`'mean'`; kept if none was found).
 */
export function fillEmbedding(
  matrix: Float32Array,
  dim: number,
  vocab: readonly string[],
  vectors: ReadonlyMap<string, Float32Array>,
  opts: { lowercase: boolean; missing: 'keep' | 'mean' },
): FillResult {
  const sum = new Float64Array(dim);
  const missingRows: number[] = [];
  const missing: string[] = [];
  let found = 0;
  let lowercased = 0;
  vocab.forEach((tok, i) => {
    let v = vectors.get(tok);
    if (!v && opts.lowercase) {
      const lower = tok.toLowerCase();
      if (lower !== tok) {
        v = vectors.get(lower);
        if (v) lowercased++;
      }
    }
    if (!v) {
      missingRows.push(i);
      missing.push(tok);
      return;
    }
    matrix.set(v, i * dim);
    for (let k = 0; k < dim; k++) sum[k]! += v[k]!;
    found++;
  });
  if (opts.missing === 'mean' && found > 0) {
    const mean = Float32Array.from(sum, (s) => s / found);
    for (const i of missingRows) matrix.set(mean, i * dim);
  }
  return { found, lowercased, missing };
}
