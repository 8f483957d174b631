import { existsSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, ioError } from '../../../core/index.ts';

/** The pointer file in a checkpoint folder naming the newest complete checkpoint. */
export const LATEST_FILE = 'latest.json';

export interface LatestPointer {
  /** Folder name of the checkpoint, relative to the pointer's folder (`step-12`). */
  dir: string;
  step: number;
}

/**
 * Point `latest.json` in `dir` at a checkpoint folder. Written to a temporary file, flushed,
 * then renamed over the old pointer, so a reader sees the old pointer or the new one, never a
 * torn file.
 */
export async function writeLatest(dir: string, pointer: LatestPointer): Promise<void> {
  const file = path.join(dir, LATEST_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(pointer) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    // A failed write (disk full) leaves no temporary file; the old pointer stays.
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(e, { action: 'write the latest-checkpoint pointer', file });
  }
}

/** The pointer in `dir`, or undefined if there is none yet. */
export function readLatest(dir: string): LatestPointer | undefined {
  const file = path.join(dir, LATEST_FILE);
  if (!existsSync(file)) return undefined;
  let p: LatestPointer;
  try {
    p = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `pointer is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (typeof p?.dir !== 'string' || typeof p.step !== 'number') {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'malformed pointer', { file, expected: '{"dir": string, "step": number}', received: p });
  }
  return p;
}

/** The path of the newest checkpoint in `dir` (for `trainer.resume`), or undefined. */
export function latestCheckpoint(dir: string): string | undefined {
  const p = readLatest(dir);
  return p ? path.join(dir, p.dir) : undefined;
}
