import { readFileSync } from 'node:fs';
import path from 'node:path';
import { clip, ErrorCodes, GraftError } from '../core/index.ts';
import type { ParsedArgs } from './args.ts';

/**
 * The texts `graft predict` labels, in order: every `--text`, or the lines of `--file` (`.txt`: one
 * text a line; `.jsonl`: a JSON string or an object with a `text` string a line); blank lines are
 * skipped. No text, both sources, an unreadable file, a bad line or an empty text is a USAGE error
 * naming the flag, file and line.
 */
export function predictInputs(args: ParsedArgs): string[] {
  const texts = args.lists?.text ?? [];
  const file = args.flags.file;
  if (texts.length && file !== undefined) throw new GraftError(ErrorCodes.USAGE, '--text and --file both given', { expected: 'one of them' });
  if (file === undefined) {
    if (!texts.length) throw new GraftError(ErrorCodes.USAGE, '"graft predict" needs --text TEXT (repeatable) or --file in.jsonl|in.txt');
    texts.forEach((t, i) => {
      if (t.trim() === '') throw new GraftError(ErrorCodes.USAGE, `--text number ${i + 1} is empty`);
    });
    return [...texts];
  }
  if (typeof file !== 'string' || file === '') throw new GraftError(ErrorCodes.USAGE, '--file needs a file name');
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.jsonl' && ext !== '.txt') throw new GraftError(ErrorCodes.USAGE, '--file: unknown format', { file, expected: 'a .jsonl or .txt file' });
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GraftError(ErrorCodes.USAGE, `--file cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  const out: string[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    out.push(ext === '.txt' ? line : jsonlText(line, file, i + 1));
  });
  if (!out.length) throw new GraftError(ErrorCodes.USAGE, '--file holds no text', { file });
  return out;
}

function jsonlText(line: string, file: string, n: number): string {
  const expected = 'a JSON string, or an object with a "text" string';
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new GraftError(ErrorCodes.USAGE, `--file: not JSON (${(e as Error).message})`, { file, line: n, expected });
  }
  const text = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as { text?: unknown }).text : undefined;
  if (typeof text !== 'string') throw new GraftError(ErrorCodes.USAGE, '--file: no text on this line', { file, line: n, expected, received: clip(line) });
  if (text.trim() === '') throw new GraftError(ErrorCodes.USAGE, '--file: the text is empty', { file, line: n });
  return text;
}
