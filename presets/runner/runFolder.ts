import { accessSync, constants, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError, ioError, ioReason } from '../../core/index.ts';
import { acquireRunLock, LOCK_FILE, type AcquireOptions, type RunLock } from './runLock.ts';

/** A run folder checked and locked for this process (see `openRunFolder`). */
export interface RunFolder {
  readonly dir: string;
  readonly lock: RunLock;
  /** Release the lock (idempotent). */
  release(): void;
}

/** Written by Graft before `config.json` (the CLI's log, the lock): a folder holding only these is a run that had not started. */
const BEFORE_CONFIG = [/^log\.jsonl$/, new RegExp(`^${LOCK_FILE.replace('.', '\\.')}(\\..*)?$`), /^config\.json\.tmp-/];

/** Codes of a folder that cannot be created or written for reasons the user chose (exit 2), not a failing disk. */
const USER_FAULT = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENAMETOOLONG']);

/**
 * Check `dir` as a run folder before anything is written there, create it, and take its lock
 * (`acquireRunLock`). Fails with a usage error (exit 2), writing nothing, when `dir` is a file,
 * cannot be created or written, or is a non-empty folder that is not a Graft run (no
 * `config.json` written by Graft); with `GRAFT_ERR_LOCKED` when another process holds it.
 */
export function openRunFolder(dir: string, opts: AcquireOptions = {}): RunFolder {
  const abs = path.resolve(dir);
  checkRunFolder(abs);
  try {
    mkdirSync(abs, { recursive: true });
    accessSync(abs, constants.W_OK);
  } catch (e) {
    throw folderError(e, abs, 'create or write the run folder');
  }
  let lock: RunLock;
  try {
    lock = acquireRunLock(abs, opts);
  } catch (e) {
    const cause = e instanceof GraftError && e.code === ErrorCodes.IO ? e.details.cause : e;
    throw e instanceof GraftError && e.code !== ErrorCodes.IO ? e : folderError(cause, abs, 'write in the run folder');
  }
  return { dir: abs, lock, release: () => lock.release() };
}

/** The checks of `openRunFolder` that need no writing. */
export function checkRunFolder(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // created next
    throw folderError(e, dir, 'use the run folder');
  }
  if (!isDir) {
    throw new GraftError(ErrorCodes.USAGE, 'the run folder (--out) is a file, not a folder', { file: dir, hint: 'Choose an empty or new folder' });
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw folderError(e, dir, 'list the run folder');
  }
  const other = entries.filter((e) => e !== 'config.json' && !BEFORE_CONFIG.some((re) => re.test(e)));
  if (entries.includes('config.json') ? !isGraftConfig(path.join(dir, 'config.json')) : other.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, ... (${entries.length} entries)` : '');
    throw new GraftError(ErrorCodes.USAGE, `not a Graft run folder: it holds ${shown} but no config.json written by Graft`, {
      file: dir,
      hint: 'Choose an empty or new folder (--out); Graft writes only into its own run folders',
    });
  }
}

/** Whether `file` is a `config.json` as `runPreset` writes it. */
function isGraftConfig(file: string): boolean {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return typeof c.preset === 'string' && typeof c.seed === 'number' && typeof c.config === 'object' && c.config !== null;
  } catch {
    return false;
  }
}

function folderError(e: unknown, dir: string, action: string): GraftError {
  if (e instanceof GraftError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !USER_FAULT.has(code)) return ioError(e, { action, file: dir });
  return new GraftError(ErrorCodes.USAGE, `could not ${action}: ${ioReason(e)}`, {
    file: dir,
    hint: code === 'ENOTDIR' || code === 'EEXIST' ? 'A part of the path is a file: choose an empty or new folder (--out)' : 'Choose a folder you can write to (--out)',
    cause: e,
  });
}
