/**
 * A second process for the run-folder lock tests: `node --import=tsx lockChild.ts <dir> <mode> [ms]`.
 *  - `try`: take the lock and release it; prints {ok} or {code, message}.
 *  - `race <file>`: print {ready}, wait until <file> exists, take the lock, print {ok} (or the error),
 *    keep it until <file>.done exists, release, exit.
 *  - `exit`: take the lock and exit without releasing it (the exit handler must).
 *  - `signal`: take the lock, print {ok}, wait to be killed by a signal.
 */
import { existsSync } from 'node:fs';
import { acquireRunLock } from '../../presets/runner/runLock.ts';
import { GraftError } from '../../core/errors/index.ts';

const [dir, mode, arg] = process.argv.slice(2) as [string, string, string | undefined];
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (mode === 'race') {
  say({ ready: true });
  while (!existsSync(arg!)) sleep(2);
}
const warnings: string[] = [];
let lock;
try {
  lock = acquireRunLock(dir, { command: `lockChild ${mode}`, warn: (m) => void warnings.push(m) });
} catch (e) {
  say(e instanceof GraftError ? { code: e.code, message: e.message } : { message: String(e) });
  process.exit(3);
}
say({ ok: true, pid: process.pid, warnings });
if (mode === 'try') lock.release();
else if (mode === 'race') {
  const held = lock;
  const wait = setInterval(() => {
    if (!existsSync(`${arg}.done`)) return;
    clearInterval(wait);
    held.release();
  }, 5);
}
else if (mode === 'exit') process.exit(0);
else if (mode === 'signal') setInterval(() => {}, 1000);
