import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
// Narrow imports: a process checking a lock need not load tfjs.
import { ErrorCodes, GraftError, ioError } from '../../core/errors/index.ts';
import { isProcessAlive, thisHost } from '../../core/checkpoint/processAlive.ts';

/** The lock file in a run folder: one Graft process writes to a run folder at a time. */
export const LOCK_FILE = '.graft.lock';

/** Who holds a run folder's lock (the lock file's JSON). */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  command: string;
}

export interface RunLock {
  readonly dir: string;
  readonly file: string;
  readonly holder: LockHolder;
  /** Delete the lock file if it is still this lock's. Idempotent; also runs at process exit. */
  release(): void;
}

export interface AcquireOptions {
  /** Recorded in the lock file; default: this process's command line. */
  command?: string;
  /** Told when a stale lock (of a dead process on this machine) is taken over. */
  warn?: (message: string) => void;
  /**
   * Whether a live-looking holder is known to be gone all the same (another machine's process, whose
   * pid cannot be checked from here): a sweep worker holding the job's queue lease knows the previous
   * holder lost it. Taken over like a dead process's lock.
   */
  isStale?: (holder: LockHolder) => boolean;
}

const RELEASE_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** A lock file that stays unreadable this long (a writer killed between create and write) is stale. */
const UNREADABLE_STALE_MS = 10_000;

/**
 * Take the lock of run folder `dir` (which must exist): create `<dir>/.graft.lock` exclusively,
 * holding pid, host, start time and command. A lock whose process is dead on this machine is
 * taken over (with a warning); a live holder's, or another machine's (which cannot be checked
 * from here), makes this fail with `GRAFT_ERR_LOCKED` (a usage error: exit 2) naming the holder.
 *
 * Released by `release()`, and at process exit (an 'exit' handler that unlinks synchronously).
 * On SIGINT/SIGTERM/SIGHUP with no other listener, the lock is released and the signal re-raised
 * (the default action then ends the process); with other listeners (the CLI's graceful stop)
 * they decide, and their `process.exit` releases it. A process killed outright (SIGKILL) leaves
 * a stale lock the next run takes over.
 */
export function acquireRunLock(dir: string, opts: AcquireOptions = {}): RunLock {
  const file = path.join(path.resolve(dir), LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: thisHost(), started: new Date().toISOString(), command: opts.command ?? process.argv.slice(1).join(' ') };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (tryCreate(file, me)) return held(path.dirname(file), file, me);
    const seen = readHolder(file);
    if (seen === 'absent') continue; // released meanwhile
    if (seen === 'unreadable') {
      if (ageMs(file) < UNREADABLE_STALE_MS) {
        sleep(20); // being written (the 'wx' fallback) or just replaced
        continue;
      }
      if (takeOver(file, seen, me)) {
        opts.warn?.(`took over the unreadable lock file ${file} (older than ${UNREADABLE_STALE_MS / 1000} s)`);
        return held(path.dirname(file), file, me);
      }
      continue;
    }
    if (!isStale(seen) && !opts.isStale?.(seen)) throw lockedError(path.dirname(file), file, seen);
    if (takeOver(file, seen, me)) {
      opts.warn?.(`took over the stale lock of ${path.dirname(file)}: pid ${seen.pid} on ${seen.host}, since ${seen.started}, is no longer running`);
      return held(path.dirname(file), file, me);
    }
    sleep(20);
  }
  throw new GraftError(ErrorCodes.LOCKED, `could not take the lock of the run folder ${path.dirname(file)}: other processes keep taking it`, {
    file,
    hint: 'Make sure a single Graft run uses this folder, or choose another --out folder',
  });
}

/** The holder of `dir`'s lock, or undefined when it is free (or unreadable). */
export function readRunLock(dir: string): LockHolder | undefined {
  const h = readHolder(path.join(dir, LOCK_FILE));
  return typeof h === 'object' ? h : undefined;
}

function isStale(h: LockHolder): boolean {
  return h.host === thisHost() && !isProcessAlive(h.pid);
}

function lockedError(dir: string, file: string, h: LockHolder): GraftError {
  const here = h.host === thisHost();
  const who = `pid ${h.pid} on ${here ? 'this machine' : `another machine`} (${h.host}), since ${h.started}${h.command ? `, running: ${h.command}` : ''}`;
  return new GraftError(ErrorCodes.LOCKED, `the run folder ${dir} is in use by another Graft process: ${who}`, {
    file,
    hint: here
      ? `Wait for it to finish or stop it (kill ${h.pid}), or choose another --out folder`
      : `Wait for it to finish, or choose another --out folder; if it no longer runs (its machine went down), delete ${file}`,
  });
}

type Seen = LockHolder | 'absent' | 'unreadable';

function readHolder(file: string): Seen {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw ioError(e, { action: 'read the lock file', file });
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isInteger(h?.pid) && typeof h.host === 'string' && typeof h.started === 'string') return { ...h, command: String(h.command ?? '') };
  } catch {
    // fall through
  }
  return 'unreadable';
}

function sameHolder(a: Seen, b: Seen): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return a.pid === b.pid && a.host === b.host && a.started === b.started;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Create the lock file holding `me`, complete or not at all: written to a private file, then
 * hard-linked to the lock's name (fails if it exists). Where hard links are unsupported, an
 * exclusive create ('wx') and one write. False if the lock exists.
 */
function tryCreate(file: string, me: LockHolder): boolean {
  const text = JSON.stringify(me) + '\n';
  const mine = `${file}.${process.pid}-${Date.now().toString(36)}`;
  try {
    writeFileSync(mine, text, { flag: 'wx' });
  } catch (e) {
    throw ioError(e, { action: 'write the lock file', file: mine });
  }
  try {
    linkSync(mine, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code ?? '')) throw ioError(e, { action: 'create the lock file', file });
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      // already gone
    }
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(e, { action: 'create the lock file', file });
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Replace a stale lock by `me` (exported for tests: `acquireRunLock` calls it). Two processes that
 * both found it stale must not both win: the replacement happens under `<lock>.takeover` (created exclusively), after checking that the lock
 * is still the stale one. False when another process was faster (the caller looks again).
 */
export function takeOverStaleLock(file: string, stale: LockHolder | 'unreadable', me: LockHolder): boolean {
  return takeOver(file, stale, me);
}

function takeOver(file: string, stale: Seen, me: LockHolder): boolean {
  const guard = `${file}.takeover`;
  try {
    writeFileSync(guard, JSON.stringify({ pid: process.pid, host: thisHost() }), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, { action: 'take over the lock file', file: guard });
    // Another process is taking over right now; a guard left by a dead one is removed.
    try {
      const g = JSON.parse(readFileSync(guard, 'utf8')) as { pid: number; host: string };
      if (g.host === thisHost() && !isProcessAlive(g.pid)) unlinkSync(guard);
    } catch {
      if (ageMs(guard) > UNREADABLE_STALE_MS) {
        try {
          unlinkSync(guard);
        } catch {
          // gone
        }
      }
    }
    return false;
  }
  try {
    const now = readHolder(file);
    if (now !== 'absent') {
      if (!sameHolder(now, stale)) return false;
      unlinkSync(file);
    }
    return tryCreate(file, me);
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // gone
    }
  }
}

/** Release functions of the locks this process holds; one exit and signal handler serves them all. */
const heldLocks = new Set<() => void>();

function releaseAll(): void {
  for (const r of [...heldLocks]) r();
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // someone else handles it (and exits, which releases)
  releaseAll();
  process.kill(process.pid, signal); // no listener now: the default action
}

function held(dir: string, file: string, me: LockHolder): RunLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldLocks.delete(release);
    if (heldLocks.size === 0) {
      process.off('exit', releaseAll);
      for (const s of RELEASE_SIGNALS) process.off(s, onSignal);
    }
    try {
      if (sameHolder(readHolder(file), me)) unlinkSync(file);
    } catch {
      // Best effort: a lock left behind is stale once this process is gone, and taken over.
    }
  };
  if (heldLocks.size === 0) {
    process.on('exit', releaseAll);
    for (const s of RELEASE_SIGNALS) process.on(s, onSignal);
  }
  heldLocks.add(release);
  return { dir, file, holder: me, release };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
