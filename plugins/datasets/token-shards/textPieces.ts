import { closeSync, openSync, readSync } from 'node:fs';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { BINARY_PROBE_BYTES } from '../shared/textFiles.ts';

/** Bytes read from a file at a time. */
export const READ_CHUNK_BYTES = 1 << 20;
/** Characters kept waiting for a safe cut before the text is cut anyway (text with no "x y" for this long). */
export const MAX_CARRY_CHARS = 1 << 24;

const isSpace = (c: number): boolean =>
  c < 128 ? c === 32 || (c >= 9 && c <= 13) : /\s/.test(String.fromCharCode(c));

/**
 * The last place `text` can be cut so that encoding the two parts apart gives the ids of encoding
 * it whole: just before a single space that sits between two non-whitespace characters. With
 * GPT-2's pre-tokenizer (byte-bpe), the character tokenizer and the word tokenizer, no piece
 * crosses that point (pieces with a space start at it), so the cut changes no token. -1 if none.
 */
export function lastSafeCut(text: string): number {
  for (let i = text.length - 2; i >= 1; i--) {
    if (text.charCodeAt(i) === 32 && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(i + 1))) return i;
  }
  return -1;
}

/**
 * The text of a UTF-8 file as consecutive pieces to encode one by one, read in `chunkBytes`
 * positioned reads (the file is never held whole): decoded as `readText` decodes (BOM dropped,
 * CRLF/CR turned into LF, invalid bytes as U+FFFD), each piece ending at a `lastSafeCut`. A NUL
 * byte at the start means a binary file: a DATA error naming it and the line.
 */
export function* textPieces(file: string, plugin: string, chunkBytes = READ_CHUNK_BYTES, maxCarry = MAX_CARRY_CHARS): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new GraftError(ErrorCodes.DATA, 'cannot read file', { plugin, file, cause });
  }
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    const decoder = new TextDecoder('utf-8');
    let pending = '';
    let cr = false;
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, chunkBytes, pos);
      if (pos === 0) checkProbe(buf.subarray(0, Math.min(n, BINARY_PROBE_BYTES)), file, plugin);
      pos += n;
      let raw: string = (cr ? '\r' : '') + decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      // A CR at the end may be the first half of a CRLF split by the read: decide with the next chunk.
      cr = n > 0 && raw.endsWith('\r');
      if (cr) raw = raw.slice(0, -1);
      const text = pending + (raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw);
      if (n === 0) {
        if (text.length > 0) yield text;
        return;
      }
      const cut = lastSafeCut(text);
      if (cut > 0) {
        yield text.slice(0, cut);
        pending = text.slice(cut);
      } else if (text.length > maxCarry) {
        yield text;
        pending = '';
      } else pending = text;
    }
  } finally {
    closeSync(fd);
  }
}

function checkProbe(probe: Uint8Array, file: string, plugin: string): void {
  const nul = probe.indexOf(0);
  if (nul < 0) return;
  let line = 1;
  for (let i = 0; i < nul; i++) if (probe[i] === 10) line++;
  throw new GraftError(ErrorCodes.DATA, `not a text file: a NUL byte at byte ${nul}`, { plugin, file, line, expected: 'UTF-8 text (no NUL bytes)' });
}
