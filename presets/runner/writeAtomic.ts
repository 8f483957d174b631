import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ioError } from '../../core/index.ts';

/** Write JSON via a temporary file and a rename, so a killed run never leaves half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeTextAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Write `text` to `file` by rename: the old file, if any, stays whole until the new one is. */
export function writeTextAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    // A failed write (disk full) leaves no temporary file behind; the old file, if any, is intact.
    rmSync(tmp, { force: true });
    throw ioError(e, { action: `write ${path.basename(file)}`, file, bytes: Buffer.byteLength(text) });
  }
}
