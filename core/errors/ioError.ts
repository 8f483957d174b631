import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from './codes.ts';
import { GraftError } from './GraftError.ts';

/** What failed, for the message of a file-system error. */
export interface IoErrorContext {
  /** What was being done, as a verb phrase: "write the checkpoint", "write the log file". */
  action: string;
  /** The file or folder at fault. */
  file: string;
  /** Bytes the whole write needed, when known (named in a disk-full hint). */
  bytes?: number;
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists',
  ENOTEMPTY: 'folder not empty',
  ENAMETOOLONG: 'name too long',
};

/**
 * A file-system failure (Node's `ENOSPC`, `EACCES`, `EROFS`, ...) as a `GRAFT_ERR_IO` error
 * naming the path, the reason, and what to do; the original error is its `cause`. A GraftError
 * is returned unchanged.
 */
export function ioError(e: unknown, ctx: IoErrorContext): GraftError {
  if (e instanceof GraftError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return new GraftError(ErrorCodes.IO, `could not ${ctx.action}: ${ioReason(e)}`, { file: ctx.file, hint: hintFor(code, ctx), cause: e });
}

/** A file-system error's reason in words, with its code: "no space left on the device (ENOSPC)". */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${REASONS[code] ?? (e as Error).message} (${code})` : String((e as Error | undefined)?.message ?? e);
}

function hintFor(code: string | undefined, ctx: IoErrorContext): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT': {
      const needs = ctx.bytes !== undefined ? `; this write needs ${formatBytes(ctx.bytes)}` : '';
      const free = freeBytes(ctx.file);
      const has = free !== undefined ? `, ${formatBytes(free)} ${code === 'EDQUOT' ? 'are free on the disk' : 'are free'}` : '';
      const what = code === 'EDQUOT' ? 'Your disk quota is used up' : 'The disk is full';
      return `${what}${needs}${has}. Free space (old runs, checkpoints) or choose a folder on another disk (--out); earlier checkpoints are kept`;
    }
    case 'EACCES':
    case 'EPERM':
      return 'Fix the permissions of the folder or choose one you can write to (--out)';
    case 'EROFS':
      return 'Choose a folder on a writable disk (--out)';
    case 'EMFILE':
    case 'ENFILE':
      return 'Raise the open-file limit (ulimit -n) or close other programs, then re-run';
    case 'EIO':
      return 'The disk reported a hardware error: check it before re-running';
    case 'ENOENT':
      return 'A folder on the path disappeared while writing: make sure nothing else deletes files there, then re-run';
    default:
      return 'Check the path and the disk, then re-run; earlier checkpoints are kept';
  }
}

/** `1.5 MB (1572864 bytes)`: readable and exact. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]} (${n} bytes)`;
}

/** Bytes available on the file system holding `p` (its nearest existing ancestor), if known. */
function freeBytes(p: string): number | undefined {
  try {
    let d = path.resolve(p);
    while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
    const s = statfsSync(d);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}
