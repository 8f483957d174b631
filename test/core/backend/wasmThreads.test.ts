/**
 * Opt-in multithreaded wasm (selectBackend({ threads }) / GRAFT_WASM_THREADS): a process using it
 * trains to the same losses as one thread and exits on its own; bad counts and late changes throw.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../../../core/runtime/registerGradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../../core/backend/index.ts';
import { defaultWasmThreads } from '../../../core/backend/wasmThreads.ts';
import { liveCounts } from './helpers.ts';
import { twoStepLosses } from './fixtures/twoStepTraining.ts';

const fixture = fileURLToPath(new URL('./fixtures/threadedTraining.ts', import.meta.url));

/** Runs the fixture in a child process with GRAFT_WASM_THREADS; resolves when it exits by itself. */
function train(threads: number | undefined): Promise<{ code: number | null; out: string; err: string; killed: boolean }> {
  const { GRAFT_WASM_THREADS: _unset, ...rest } = process.env;
  return new Promise(resolve => {
    execFile(process.execPath, ['--import=tsx', fixture], {
      env: { ...rest, ...(threads !== undefined ? { GRAFT_WASM_THREADS: String(threads) } : {}), GRAFT_BACKEND: '' },
      // Far above a normal run (a few seconds): reaching it means a worker kept the process alive.
      timeout: 90_000,
    }, (error, out, err) => {
      const e = error as (Error & { code?: number; killed?: boolean }) | null;
      resolve({ code: e == null ? 0 : (e.code ?? null), out, err, killed: e?.killed === true });
    });
  });
}

test.serial('2 threads, and the default thread count: same losses as 1 thread, and the process exits on its own', async t => {
  const child = train(2);
  const byDefault = train(undefined);
  // The reference: this process, single-threaded wasm, asked for explicitly.
  const info = await selectBackend({ prefer: 'wasm', threads: 1 });
  t.is(info.threads, 1);
  const before = liveCounts();
  const one = twoStepLosses();
  t.deepEqual(liveCounts(), before, 'training leaked');
  const d = await byDefault;
  t.is(d.code, 0, d.err);
  const dd = JSON.parse(d.out.trim().split('\n').pop()!) as { threads: number; losses: number[] };
  t.is(dd.threads, defaultWasmThreads(), 'no count asked for: one thread per core, at most 4');
  t.is(dd.losses.length, 2);
  for (let i = 0; i < 2; i++) t.true(Math.abs(one[i]! - dd.losses[i]!) <= 1e-5 * Math.abs(one[i]!), `default threads, step ${i}: ${one[i]} vs ${dd.losses[i]}`);
  const two = await child;
  t.false(two.killed, `the 2-thread process did not exit by itself:\n${two.err}`);
  t.is(two.code, 0, two.err);
  const b = JSON.parse(two.out.trim().split('\n').pop()!) as { threads: number; losses: number[]; pthreads: { unused: number; running: number } | null };
  t.is(b.threads, 2);
  // emscripten's 8 pre-started pthread workers trimmed to the one its start-up needs; none ran.
  t.deepEqual(b.pthreads, { unused: 1, running: 0 });
  t.is(b.losses.length, 2);
  t.true(b.losses[1] < b.losses[0], `loss should fall: ${b.losses}`);
  for (let i = 0; i < 2; i++) {
    t.true(Math.abs(one[i] - b.losses[i]) <= 1e-5 * Math.abs(one[i]), `step ${i}: ${one[i]} vs ${b.losses[i]}`);
  }
  t.false(/ExitStatus|tfjs-backend-wasm-threaded/.test(two.err), two.err);
});

test.serial('bad thread counts are rejected, naming where they came from', async t => {
  for (const bad of [0, 9, 1.5]) {
    await t.throwsAsync(selectBackend({ prefer: 'wasm', threads: bad }), { message: /selectBackend\(\{threads\}\): expected a whole number of threads from 1 to 8/, code: 'GRAFT_ERR_CONFIG' });
  }
  const saved = process.env.GRAFT_WASM_THREADS;
  process.env.GRAFT_WASM_THREADS = 'two';
  try {
    await t.throwsAsync(selectBackend({ prefer: 'wasm' }), { message: /GRAFT_WASM_THREADS: expected a whole number.*'two'/ });
  } finally {
    if (saved == null) delete process.env.GRAFT_WASM_THREADS;
    else process.env.GRAFT_WASM_THREADS = saved;
  }
});

test.serial('the thread count cannot change once wasm runs', async t => {
  delete process.env.GRAFT_WASM_THREADS;
  const info = await selectBackend({ prefer: 'wasm' });
  t.is(info.threads, 1);
  await t.throwsAsync(selectBackend({ prefer: 'wasm', threads: 2 }),
    { message: /already running with 1 thread\(s\); the thread count can only be chosen before it first initialises/, code: 'GRAFT_ERR_CONFIG' });
  // The same count, or none, is fine; wasm keeps working.
  t.is((await selectBackend({ prefer: 'wasm', threads: 1 })).threads, 1);
  t.is((await selectBackend({ prefer: 'wasm' })).threads, 1);
  t.is(tf.getBackend(), 'wasm');
});
