/** One parsed line of a word-vector text file. */
export type VectorLine =
  | { kind: 'vector'; word: string; values: Float32Array }
  | { kind: 'blank' }
  | { kind: 'header'; count: number; dim: number }
  | { kind: 'error'; reason: string };

const INTEGER = /^\d+$/;

/**
 * Parse one line of a GloVe-style file: a word, then `dim` numbers, separated by single spaces.
 * `dim` undefined means this is the first line, which fixes the dimension (or, as two integers,
 * is a word2vec/fastText "count dim" header). The vector is the last `dim` fields, so a word may
 * itself hold spaces (GloVe 840B has such words), unless the field before them is a number too:
 * that line has a value too many, not a word with a space.
 */
export function parseVectorLine(line: string, dim: number | undefined, first = false): VectorLine {
  const text = line.replace(/[\r\n\t ]+$/, '').replace(/^\uFEFF/, '');
  if (text.trim() === '') return { kind: 'blank' };
  const fields = text.split(' ');
  if (first && dim === undefined && fields.length === 2 && INTEGER.test(fields[0]!) && INTEGER.test(fields[1]!)) {
    return { kind: 'header', count: Number(fields[0]), dim: Number(fields[1]) };
  }
  const d = dim ?? fields.length - 1;
  if (d < 1) return { kind: 'error', reason: 'a word and no values' };
  if (fields.length < d + 1) return { kind: 'error', reason: `${fields.length - 1} fields after the word, expected ${d} values` };
  const start = fields.length - d;
  if (start > 1 && isNumber(fields[start - 1]!)) return { kind: 'error', reason: `${fields.length - 1} values, expected ${d}` };
  const word = fields.slice(0, start).join(' ');
  if (word === '') return { kind: 'error', reason: 'the line starts with a space (empty word)' };
  const values = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    const f = fields[start + i]!;
    const v = f === '' ? NaN : Number(f);
    if (!Number.isFinite(v)) return { kind: 'error', reason: `value ${i + 1} (${JSON.stringify(f)}) is not a finite number` };
    values[i] = v;
  }
  return { kind: 'vector', word, values };
}

function isNumber(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}
