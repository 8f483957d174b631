import { ErrorCodes, GraftError } from '../../../core/index.ts';

/** One CSV record: its fields and the 1-based line it starts on (for error messages). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

export interface CsvOptions {
  /** One character; default `,`. */
  delimiter?: string;
  /** Named in error messages. */
  file?: string;
  plugin?: string;
}

/**
 * Parse CSV (RFC 4180) into records.
 *
 * - Records end at LF, CRLF or CR outside quotes; a final line end does not start a record.
 * - A field starting with `"` is quoted: it may hold delimiters, line ends and `""` (one quote);
 *   after the closing quote only a delimiter or a line end may follow.
 * - A quote inside an unquoted field is kept literally (`5" screen`), as most writers produce it.
 * - Empty lines are skipped; a byte-order mark at the start is dropped; fields are not trimmed.
 *
 * Errors (an unterminated quote, text after a closing quote) name the file and line.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvRecord[] {
  const d = opts.delimiter ?? ',';
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid CSV delimiter', { plugin: opts.plugin, option: 'delimiter', expected: 'one character other than a quote or a line end', received: d });
  }
  const fail = (message: string, line: number): never => {
    throw new GraftError(ErrorCodes.DATA, message, { plugin: opts.plugin, file: opts.file ?? '(csv)', line });
  };
  const n = text.length;
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let recLine = 1;
  let quotedInRecord = false;
  while (i <= n) {
    if (fields.length === 0) {
      recLine = line;
      quotedInRecord = false;
    }
    let value: string;
    if (text[i] === '"') {
      quotedInRecord = true;
      const openLine = line;
      i++;
      value = '';
      let seg = i;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) fail('unterminated quoted field (a `"` opens here and never closes)', openLine);
        line += countLineEnds(text, i, q);
        if (text[q + 1] === '"') {
          value += text.slice(seg, q + 1);
          i = seg = q + 2;
          continue;
        }
        value += text.slice(seg, q);
        i = q + 1;
        break;
      }
      if (i < n && text[i] !== d && text[i] !== '\n' && text[i] !== '\r') {
        fail(`unexpected ${JSON.stringify(text[i])} after a closing quote (a quote inside a quoted field is written "")`, line);
      }
    } else {
      let j = i;
      while (j < n) {
        const c = text[j];
        if (c === d || c === '\n' || c === '\r') break;
        j++;
      }
      value = text.slice(i, j);
      i = j;
    }
    fields.push(value);
    if (i < n && text[i] === d) {
      i++;
      continue;
    }
    // End of record: a line end or the end of the text.
    if (!(fields.length === 1 && fields[0] === '' && !quotedInRecord)) out.push({ fields, line: recLine });
    fields = [];
    if (i >= n) break;
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    if (i >= n) break;
  }
  return out;
}

/** Line ends (LF, CRLF counted once, lone CR) in text[from, to). */
function countLineEnds(text: string, from: number, to: number): number {
  let k = 0;
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c === 10) k++;
    else if (c === 13 && text.charCodeAt(j + 1) !== 10) k++;
  }
  return k;
}
