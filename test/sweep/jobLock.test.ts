/**
 * A sweep job's run folder lock: a lock held by the same job on another machine (whose pid cannot
 * be checked from here) is taken over by the worker that now holds the job's lease; another job's,
 * or a graft run's, on another machine is not; a live holder on this machine never is.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes, GraftError } from '../../core/index.ts';
import { acquireRunLock, LOCK_FILE, readRunLock } from '../../presets/runner/runLock.ts';
import { jobLockCommand, jobLockOptions } from '../../presets/sweep/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-sweep-lock-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

function heldBy(name: string, holder: { pid: number; host: string; command: string }): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...holder, started: new Date().toISOString() }));
  return dir;
}

test("the same job's lock on another machine is taken over; another job's or a live local holder's is not", (t) => {
  const warnings: string[] = [];
  const same = heldBy('same', { pid: 4242, host: 'other-machine', command: jobLockCommand('run-abc') });
  const lock = acquireRunLock(same, jobLockOptions('run-abc', (m) => void warnings.push(m)));
  t.is(readRunLock(same)?.pid, process.pid);
  t.regex(warnings.join('\n'), /took over the stale lock .*other-machine/);
  lock.release();

  const other = heldBy('other', { pid: 4242, host: 'other-machine', command: jobLockCommand('run-def') });
  const e1 = t.throws(() => acquireRunLock(other, jobLockOptions('run-abc', () => {})));
  t.true(e1 instanceof GraftError && e1.code === ErrorCodes.LOCKED);
  const run = heldBy('graft-run', { pid: 4242, host: 'other-machine', command: 'graft run x --out y' });
  t.throws(() => acquireRunLock(run, jobLockOptions('run-abc', () => {})), { instanceOf: GraftError });

  // This process is alive: a holder on this machine is checked by its pid, never assumed gone.
  const live = heldBy('live', { pid: process.pid, host: hostname(), command: jobLockCommand('run-abc') });
  t.throws(() => acquireRunLock(live, jobLockOptions('run-abc', () => {})), { instanceOf: GraftError });
});

