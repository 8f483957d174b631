/**
 * Graft's kernels shared out on graft's threads (gemmThreads.ts: the GEMM, causal attention's heads,
 * GELU in chunks) give the same bytes as one thread: a child process on 2
 * threads against this one on 1.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import '../../../core/runtime/registerGradients.ts';
import { selectBackend, threadPoolStats, type ThreadPoolStats } from '../../../core/backend/index.ts';
import { kernelDigests } from './fixtures/kernelDigests.ts';

const fixture = fileURLToPath(new URL('./fixtures/threadedKernels.ts', import.meta.url));

test('2 threads: every output bit-identical to 1 thread', async t => {
  const { GRAFT_WASM_THREADS: _unset, ...rest } = process.env;
  const child = new Promise<{ code: number; out: string; err: string }>(resolve => {
    execFile(process.execPath, ['--import=tsx', fixture], { env: { ...rest, GRAFT_WASM_THREADS: '2', GRAFT_BACKEND: '' }, timeout: 90_000 },
      (error, out, err) => resolve({ code: error == null ? 0 : ((error as { code?: number }).code ?? 1), out, err }));
  });
  const info = await selectBackend({ prefer: 'wasm', threads: 1 });
  t.is(info.threads, 1);
  const one = kernelDigests();
  const two = await child;
  t.is(two.code, 0, two.err);
  const got = JSON.parse(two.out.trim().split('\n').pop()!) as {
    threads: number; digests: Record<string, string>; poolBefore: ThreadPoolStats | null; poolAfter: ThreadPoolStats | null;
  };
  t.is(got.threads, 2);
  t.is(Object.keys(one).length, 6);
  t.deepEqual(got.digests, one);
  // One thread has no pool; two: the pool starts with the first product shared out and counts
  // what it ran (at least the two products, GELU's chunks and attention's heads each a round).
  t.is(threadPoolStats(), null);
  t.is(got.poolBefore, null);
  const pool = got.poolAfter!;
  t.is(pool.threads, 2);
  t.true(pool.rounds >= 4, `rounds ${pool.rounds}`);
  t.true(pool.tasks > pool.rounds, `${pool.tasks} tasks in ${pool.rounds} rounds`);
  t.true(pool.mainWaitMs >= 0 && Number.isFinite(pool.mainWaitMs), `wait ${pool.mainWaitMs}`);
});
