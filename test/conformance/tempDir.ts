import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const open = new Set<string>();
const made: string[] = [];

/**
 * Run `fn` with a fresh temporary folder that is removed afterwards, whether `fn` returns or
 * throws: a failing check leaves nothing behind in the system's temp folder.
 */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-conf-'));
  open.add(dir);
  made.push(dir);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    open.delete(dir);
  }
}

/** Temporary folders of the suite not yet removed (for the suite's own tests). */
export function openTempDirs(): string[] {
  return [...open];
}

/** Every temporary folder the suite has made in this process (for the suite's own tests). */
export function madeTempDirs(): readonly string[] {
  return made;
}
