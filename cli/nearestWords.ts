/** A neighbour of a word and its cosine similarity. */
export interface Neighbour {
  word: string;
  cosine: number;
}

/**
 * The `k` rows most similar to row `query` by cosine, best first (ties: lower row first), the
 * query itself and the rows in `skip` left out. Zero rows have cosine 0 with everything.
 * `matrix` is row-major [words.length, dim].
 */
export function nearestWords(words: readonly string[], matrix: ArrayLike<number>, dim: number, query: number, k: number, skip: ReadonlySet<number> = new Set()): Neighbour[] {
  const norm = (r: number): number => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += matrix[r * dim + j]! ** 2;
    return Math.sqrt(s);
  };
  const qn = norm(query);
  const scored: { row: number; cosine: number }[] = [];
  for (let r = 0; r < words.length; r++) {
    if (r === query || skip.has(r)) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += matrix[query * dim + j]! * matrix[r * dim + j]!;
    const d = qn * norm(r);
    scored.push({ row: r, cosine: d === 0 ? 0 : dot / d });
  }
  scored.sort((a, b) => b.cosine - a.cosine || a.row - b.row);
  return scored.slice(0, k).map((s) => ({ word: words[s.row]!, cosine: s.cosine }));
}

/** Neighbours as a table: rank, word, cosine (4 decimals). */
export function neighboursTable(word: string, list: readonly Neighbour[]): string {
  const width = Math.max('word'.length, ...list.map((n) => n.word.length));
  const rows = list.map((n, i) => `${String(i + 1).padStart(4)}  ${n.word.padEnd(width)}  ${n.cosine.toFixed(4)}`);
  return [`neighbours of "${word}" (cosine)`, `${'rank'.padStart(4)}  ${'word'.padEnd(width)}  cosine`, ...rows].join('\n');
}
