import test from 'ava';
import { spawnSync } from 'node:child_process';
import { parseArgs, processWasmThreads, benchThreads } from '../../bench/lib/parseArgs.ts';

test('defaults: every backend, torch on, short run', (t) => {
  t.deepEqual(parseArgs([]), { long: false, quick: false, backends: ['wasm', 'wasm-stock', 'cpu'], torch: true, scaling: false });
});

test('flags and backend lists', (t) => {
  t.deepEqual(parseArgs(['--long', '--quick', '--no-torch', '--scaling', '--backends', 'wasm,cpu']), {
    long: true, quick: true, torch: false, scaling: true, backends: ['wasm', 'wasm-stock', 'cpu'],
  });
  t.deepEqual(parseArgs(['--backends=cpu,wasm-fast']).backends, ['cpu', 'wasm']);
  t.deepEqual(parseArgs(['--backends', 'wasm-stock']).backends, ['wasm-stock']);
});

test('typos are errors that name the argument', (t) => {
  t.throws(() => parseArgs(['--lon']), { message: /unknown argument '--lon'/ });
  t.throws(() => parseArgs(['--backends', 'webgl']), { message: /unknown backend 'webgl'/ });
  t.throws(() => parseArgs(['--backends']), { message: /--backends needs a list/ });
});

test('wasm-2t is opt-in', (t) => {
  t.false(parseArgs([]).backends.includes('wasm-2t'));
  t.deepEqual(parseArgs(['--backends', 'wasm,wasm-2t']).backends, ['wasm', 'wasm-stock', 'wasm-2t']);
});

test('thread counts: each wasm row says its own, the process takes the first wasm backend listed', (t) => {
  t.is(benchThreads('wasm'), 1);
  t.is(benchThreads('wasm-stock'), 1);
  t.is(benchThreads('wasm-2t'), 2);
  t.is(benchThreads('cpu'), null);
  t.is(processWasmThreads(parseArgs(['--backends', 'wasm-2t,wasm']).backends), 2);
  t.is(processWasmThreads(parseArgs(['--backends', 'cpu,wasm,wasm-2t']).backends), 1);
  t.is(processWasmThreads(parseArgs(['--backends', 'cpu']).backends), 1);
});

test('--only picks sections; naming scaling or long turns them on; unknown names are errors that list the sections', (t) => {
  t.is(parseArgs([]).only, undefined);
  const a = parseArgs(['--only', 'awd-lstm,generation']);
  t.deepEqual([...a.only!], ['awd-lstm', 'generation']);
  t.false(a.scaling);
  const b = parseArgs(['--only=scaling,long']);
  t.true(b.scaling && b.long);
  // Checkpointing runs alone, without the scaling table.
  t.false(parseArgs(['--only', 'checkpointing']).scaling);
  t.throws(() => parseArgs(['--only', 'awd-lstm,gpu']), { message: /--only needs sections from overhead, throughput, awd-lstm, generation, scaling, checkpointing, long; unknown: gpu/ });
  t.throws(() => parseArgs(['--only']), { message: /--only needs sections/ });
});

test('npm run bench with a bad argument: the message on stderr, no stack trace, exit 2, no report', (t) => {
  const r = spawnSync(process.execPath, ['--import=tsx', 'bench/run.ts', '--only', 'hook-overhead'], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^bench: --only needs sections from overhead, .*unknown: hook-overhead/);
  t.notRegex(r.stderr, /\n\s+at /);
});
