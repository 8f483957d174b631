import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ioError } from '../../../core/index.ts';

/**
 * Write `content` to `file` through a temporary file in the same folder and a rename: a reader
 * (or a killed run) sees the old file or the new one, never half of one. A failure removes the
 * temporary file and is GRAFT_ERR_IO saying what was being written.
 */
export async function writeFileAtomic(file: string, content: string, action: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, content);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw ioError(e, { action, file, bytes: Buffer.byteLength(content) });
  }
}
