/**
 * Graft's kernels shared out on graft's threads (gemmThreads.ts: the GEMM, causal attention's heads,
 * GELU in chunks) give the same bytes as one thread: child processes on 2 threads (the main thread
 * claiming tasks from the front of each round, one helper from the back) and on 3 (two helpers
 * contending for the back) against this one on 1.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../../../core/runtime/registerGradients.ts';
import { selectBackend, threadPoolStats, type ThreadPoolStats } from '../../../core/backend/index.ts';
import { kernelDigests } from './fixtures/kernelDigests.ts';

const fixture = fileURLToPath(new URL('./fixtures/threadedKernels.ts', import.meta.url));

interface ChildResult { threads: number; digests: Record<string, string>; poolBefore: ThreadPoolStats | null; poolAfter: ThreadPoolStats | null; repeats: number; stable: boolean }

function runChild(threads: number): Promise<{ code: number; out: string; err: string }> {
  const { GRAFT_WASM_THREADS: _unset, ...rest } = process.env;
  return new Promise(resolve => {
    execFile(process.execPath, ['--import=tsx', fixture], { env: { ...rest, GRAFT_WASM_THREADS: String(threads), GRAFT_BACKEND: '' }, timeout: 90_000 },
      (error, out, err) => resolve({ code: error == null ? 0 : ((error as { code?: number }).code ?? 1), out, err }));
  });
}

test('2 and 3 threads: every output bit-identical to 1 thread; the pool counts its rounds', async t => {
  // One after the other: two children at once would share the two cores with this process.
  const two = await runChild(2);
  const three = await runChild(3);
  const info = await selectBackend({ prefer: 'wasm', threads: 1 });
  t.is(info.threads, 1);
  const one = kernelDigests();
  t.is(Object.keys(one).length, 7);
  // One thread has no pool.
  t.is(threadPoolStats(), null);
  for (const [threads, child] of [[2, two], [3, three]] as const) {
    t.is(child.code, 0, child.err);
    const got = JSON.parse(child.out.trim().split('\n').pop()!) as ChildResult;
    t.is(got.threads, threads);
    t.deepEqual(got.digests, one, `${threads} threads`);
    t.true(got.stable, `${threads} threads: the kernels run again gave other bits`);
    if (got.repeats > 0) t.log(`${threads} threads: helpers took part only after ${got.repeats} more run(s) of the kernels`);
    // The pool starts with the first product shared out and counts what it ran (at least the two
    // products, GELU's chunks and attention's heads each a round).
    t.is(got.poolBefore, null);
    const pool = got.poolAfter!;
    t.is(pool.threads, threads);
    t.true(pool.rounds >= 4, `rounds ${pool.rounds}`);
    t.true(pool.tasks > pool.rounds, `${pool.tasks} tasks in ${pool.rounds} rounds`);
    // Helpers took part (so their side of the claims, from the back, produced some of these bytes),
    // and the main thread too.
    t.true(pool.helperTasks > 0 && pool.helperTasks < pool.tasks, `${pool.helperTasks} of ${pool.tasks} tasks by helpers`);
    t.true(pool.mainWaitMs >= 0 && Number.isFinite(pool.mainWaitMs), `wait ${pool.mainWaitMs}`);
  }
});
