import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join, relative, resolve } from 'node:path';
import { clip, ErrorCodes, GraftError } from '../../../core/index.ts';
import type { SourceDocument } from './npmCorpora.ts';

/**
 * Read a text source from disk: a file is one document; a folder gives every `.txt` file under
 * it (recursively), sorted by path relative to the folder, one document each. Text is UTF-8 with
 * a byte-order mark dropped and CRLF/CR line ends turned into LF, so a tokenizer sees one
 * convention.
 */
export function loadTextPath(path: string, plugin: string): SourceDocument[] {
  return textPathFiles(path, plugin).map((f) => ({ id: f, text: readText(f, plugin) }));
}

/**
 * The files a text source names, without reading them: the file itself, or every `.txt` file
 * under the folder, sorted as `loadTextPath` reads them. A missing path, an empty path and a
 * folder without `.txt` files are DATA errors naming it.
 */
export function textPathFiles(path: string, plugin: string): string[] {
  if (path.trim() === '') {
    // resolve('') is the current folder: never what an empty entry meant.
    throw new GraftError(ErrorCodes.DATA, 'empty source path', { plugin, option: 'sources', expected: 'a file, a folder of .txt files, or npm:<corpus>' });
  }
  const abs = resolve(path);
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, `source "${clip(path)}" does not exist`, {
      plugin,
      option: 'sources',
      file: abs,
      cause,
      hint: 'Give an existing file, a folder of .txt files, or npm:<corpus>',
    });
  }
  if (st.isFile()) return [abs];
  let files: string[];
  try {
    files = listTxtFiles(abs).sort((a, b) => cmp(relative(abs, a), relative(abs, b)));
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, `cannot list source folder "${clip(path)}" (${(cause as Error).message})`, { plugin, option: 'sources', file: abs, cause });
  }
  if (files.length === 0) {
    throw new GraftError(ErrorCodes.DATA, `source folder "${clip(path)}" has no .txt files`, { plugin, option: 'sources', file: abs });
  }
  return files;
}

/** Bytes at the start of a file searched for NUL: text never has one, binary files nearly always. */
export const BINARY_PROBE_BYTES = 1024;

/** What `inspectTextFile` found in a readable text file. */
export interface TextFileReport {
  file: string;
  bytes: number;
  /** Byte sequences that are not UTF-8 (each read as U+FFFD). */
  invalidUtf8: number;
  /** 1-based line of the first of them. */
  firstInvalidLine?: number;
}

/**
 * Check that a file is readable text, as `readText` will read it: a NUL byte in the first
 * `BINARY_PROBE_BYTES` bytes means binary (a DATA error naming the file and line); byte sequences
 * that are not UTF-8 are counted (they read as U+FFFD), for a warning.
 */
export function inspectTextFile(file: string, plugin: string, option?: string): TextFileReport {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'cannot be read (no permission)' : `cannot be read (${code ?? (cause as Error).message})`;
    throw new GraftError(ErrorCodes.DATA, `the file ${why}`, { plugin, option, file, cause });
  }
  checkNotBinary(buf.subarray(0, BINARY_PROBE_BYTES), file, plugin, option);
  const report: TextFileReport = { file, bytes: buf.length, invalidUtf8: 0 };
  if (isUtf8(buf)) return report;
  // Each invalid sequence decodes to one U+FFFD; a U+FFFD written in the file (EF BF BD) is not one.
  const text = buf.toString('utf8');
  let replaced = 0;
  let first = -1;
  for (let i = text.indexOf('\ufffd'); i >= 0; i = text.indexOf('\ufffd', i + 1)) {
    if (first < 0) first = i;
    replaced++;
  }
  let literal = 0;
  for (let i = buf.indexOf(REPLACEMENT); i >= 0; i = buf.indexOf(REPLACEMENT, i + 3)) literal++;
  report.invalidUtf8 = Math.max(1, replaced - literal);
  if (first >= 0) report.firstInvalidLine = lineAt(text, first);
  return report;
}

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

/** Throw if the probe (the first bytes of a file) holds a NUL byte. */
function checkNotBinary(probe: Uint8Array, file: string, plugin: string, option?: string): void {
  const nul = probe.indexOf(0);
  if (nul < 0) return;
  let line = 1;
  for (let i = 0; i < nul; i++) if (probe[i] === 10) line++;
  throw new GraftError(ErrorCodes.DATA, `not a text file: a NUL byte at byte ${nul}`, {
    plugin,
    option,
    file,
    line,
    expected: 'UTF-8 text (no NUL bytes)',
    hint: 'Give text files only; for a folder, only its .txt files are read',
  });
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Read a UTF-8 file, without BOM, with LF line ends. */
export function readText(file: string, plugin: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, 'cannot read file', { plugin, file, cause });
  }
  checkNotBinary(buf.subarray(0, BINARY_PROBE_BYTES), file, plugin);
  const raw = buf.toString('utf8');
  return normalizeNewlines(raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw);
}

export function normalizeNewlines(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

function listTxtFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTxtFiles(p));
    else if (e.isFile() && e.name.toLowerCase().endsWith('.txt')) out.push(p);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
