import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import type { SourceDocument } from './npmCorpora.ts';

/**
 * Read a text source from disk: a file is one document; a folder gives every `.txt` file under
 * it (recursively), sorted by path relative to the folder, one document each. Text is UTF-8 with
 * a byte-order mark dropped and CRLF/CR line ends turned into LF, so a tokenizer sees one
 * convention.
 */
export function loadTextPath(path: string, plugin: string): SourceDocument[] {
  const abs = resolve(path);
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, `source "${path}" does not exist`, {
      plugin,
      file: abs,
      cause,
      hint: 'Give an existing file, a folder of .txt files, or npm:<corpus>',
    });
  }
  if (st.isFile()) return [{ id: abs, text: readText(abs, plugin) }];
  const files = listTxtFiles(abs).sort((a, b) => cmp(relative(abs, a), relative(abs, b)));
  if (files.length === 0) {
    throw new GraftError(ErrorCodes.DATA, `source folder "${path}" has no .txt files`, { plugin, file: abs });
  }
  return files.map((f) => ({ id: f, text: readText(f, plugin) }));
}

/** Read a UTF-8 file, without BOM, with LF line ends. */
export function readText(file: string, plugin: string): string {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, 'cannot read file', { plugin, file, cause });
  }
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
