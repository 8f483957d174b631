import { extname, resolve } from 'node:path';
import { clip, ErrorCodes, GraftError } from '../../../core/index.ts';
import { parseCsv, type CsvRecord } from './csv.ts';
import { parseJsonl, type JsonlRow } from './jsonl.ts';
import { normalizeNewlines, readText } from './textFiles.ts';

/** A labelled example with where it came from, so later errors can name file and line. */
export interface LabelledRecord {
  text: string;
  /** The label value as a string (`1`, `spam`, `true`). */
  label: string;
  file: string;
  /** 1-based line in the file; absent for packaged corpora. */
  line?: number;
  /**
   * Examples cut from one document (a speech's passages) share a group; a split keeps a group
   * whole, so no document has passages on both sides of a train/test boundary.
   */
  group?: string;
}

export interface FieldNames {
  textField: string;
  labelField: string;
}

export type LabelledFormat = 'csv' | 'tsv' | 'jsonl';

/** `auto` → by extension: .csv, .tsv/.tab, .jsonl/.ndjson/.json. */
export function formatOf(file: string, format: LabelledFormat | 'auto', plugin?: string): LabelledFormat {
  if (format !== 'auto') return format;
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  throw new GraftError(ErrorCodes.DATA, `cannot tell the format of "${file}" from its extension`, {
    plugin,
    option: 'format',
    file,
    expected: '.csv, .tsv, .jsonl or .ndjson, or set the option format to csv, tsv or jsonl',
  });
}

/** Read a labelled CSV/TSV/JSONL file into records (no empty texts, every row complete). */
export function readLabelledFile(
  path: string,
  o: FieldNames & { format: LabelledFormat | 'auto'; delimiter?: string; plugin?: string },
): LabelledRecord[] {
  const file = resolve(path);
  const format = formatOf(file, o.format, o.plugin);
  const text = readText(file, o.plugin ?? '');
  if (format === 'jsonl') return jsonlToLabelled(parseJsonl(text, { file, plugin: o.plugin }), { ...o, file });
  const delimiter = o.delimiter || (format === 'tsv' ? '\t' : ',');
  return csvToLabelled(parseCsv(text, { delimiter, file, plugin: o.plugin }), { ...o, file });
}

/** CSV records (first one the header) → labelled records. */
export function csvToLabelled(records: readonly CsvRecord[], o: FieldNames & { file: string; plugin?: string }): LabelledRecord[] {
  const header = records[0];
  if (!header) throw new GraftError(ErrorCodes.DATA, 'the file is empty (no header row)', { plugin: o.plugin, file: o.file });
  const col = (name: string, option: string): number => {
    const k = header.fields.indexOf(name);
    if (k < 0) {
      throw new GraftError(ErrorCodes.DATA, `the header has no column "${name}" (option ${option})`, {
        plugin: o.plugin,
        file: o.file,
        line: header.line,
        expected: `one of ${header.fields.map((f) => JSON.stringify(clip(f, 40))).join(', ')}`,
      });
    }
    return k;
  };
  const ti = col(o.textField, 'textField');
  const li = col(o.labelField, 'labelField');
  const out: LabelledRecord[] = [];
  for (let r = 1; r < records.length; r++) {
    const { fields, line } = records[r]!;
    if (fields.length !== header.fields.length) {
      throw new GraftError(ErrorCodes.DATA, `row has ${fields.length} fields but the header has ${header.fields.length}`, {
        plugin: o.plugin,
        file: o.file,
        line,
        hint: 'Quote fields that contain the delimiter, quotes or line breaks',
      });
    }
    out.push(checked(normalizeNewlines(fields[ti]!), fields[li]!, o, line));
  }
  return out;
}

/** JSONL rows (objects) → labelled records. Labels may be strings, numbers or booleans. */
export function jsonlToLabelled(rows: readonly JsonlRow[], o: FieldNames & { file: string; plugin?: string }): LabelledRecord[] {
  return rows.map(({ value, line }) => {
    const where = { plugin: o.plugin, file: o.file, line };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new GraftError(ErrorCodes.DATA, 'line is not a JSON object', { ...where, received: value });
    }
    const obj = value as Record<string, unknown>;
    for (const [field, option] of [[o.textField, 'textField'], [o.labelField, 'labelField']] as const) {
      if (!(field in obj)) {
        throw new GraftError(ErrorCodes.DATA, `object has no field "${field}" (option ${option})`, {
          ...where,
          expected: `one of ${Object.keys(obj).map((f) => JSON.stringify(clip(f, 40))).join(', ') || '(no fields)'}`,
        });
      }
    }
    const text = obj[o.textField];
    if (typeof text !== 'string') throw new GraftError(ErrorCodes.DATA, `field "${o.textField}" is not a string`, { ...where, received: text });
    const label = obj[o.labelField];
    if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
      throw new GraftError(ErrorCodes.DATA, `field "${o.labelField}" is not a string, number or boolean`, { ...where, received: label });
    }
    return checked(normalizeNewlines(text), String(label), o, line);
  });
}

function checked(text: string, label: string, o: FieldNames & { file: string; plugin?: string }, line: number): LabelledRecord {
  if (text.trim() === '') throw new GraftError(ErrorCodes.DATA, `empty text in field "${o.textField}"`, { plugin: o.plugin, file: o.file, line });
  if (label.trim() === '') throw new GraftError(ErrorCodes.DATA, `empty label in field "${o.labelField}"`, { plugin: o.plugin, file: o.file, line });
  return { text, label, file: o.file, line };
}
