/** What `gloveText` wrote and left out. */
export interface GloveExport {
  text: string;
  /** Lines (words) written. */
  written: number;
  /** Tokens left out although not special: empty, or holding whitespace (a GloVe line cannot). */
  unwritable: string[];
}

/**
 * A float32 as text that reads back to the same float32, in the fewest significant digits from 6
 * to 9 that do (9 always suffice for IEEE 754 single precision), trailing zeros dropped: 0.1f is
 * "0.1", not "0.100000001".
 */
export function formatFloat32(x: number): string {
  for (let p = 6; p < 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return String(v);
  }
  return String(Number(x.toPrecision(9)));
}

/**
 * Word vectors as GloVe text: one line `word v1 ... vd` per vocabulary id in id order, values
 * separated by single spaces (what `init:pretrained-embeddings` reads). Ids in `skip` (special
 * tokens) are left out, and so are tokens no GloVe line can hold (empty, or with whitespace).
 * `matrix` is the embedding row-major [vocab.length, dim].
 */
export function gloveText(vocab: readonly string[], matrix: ArrayLike<number>, dim: number, skip: ReadonlySet<number> = new Set()): GloveExport {
  if (matrix.length !== vocab.length * dim) {
    throw new RangeError(`gloveText: ${matrix.length} values for ${vocab.length} words of dimension ${dim}`);
  }
  const lines: string[] = [];
  const unwritable: string[] = [];
  const values = new Array<string>(dim);
  vocab.forEach((word, i) => {
    if (skip.has(i)) return;
    if (word === '' || /\s/u.test(word)) {
      unwritable.push(word);
      return;
    }
    for (let k = 0; k < dim; k++) values[k] = formatFloat32(matrix[i * dim + k]!);
    lines.push(`${word} ${values.join(' ')}`);
  });
  return { text: lines.length ? lines.join('\n') + '\n' : '', written: lines.length, unwritable };
}
