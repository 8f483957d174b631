/**
 * The GEMM's fused multiply-add by default (core/backend/kernels/relaxedSimd.ts): on where relaxed
 * SIMD compiles and fuses, off with GRAFT_WASM_FMA=0, demanded with =1, a bad value an error naming
 * the variable; with it on, no product goes to XNNPACK (which rounds twice). Each case is a child
 * process: the choice is made once per process, before the first GEMM module is compiled.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupport } from '../../../core/backend/kernels/relaxedSimd.ts';

const fixture = fileURLToPath(new URL('./fixtures/fmaChoice.ts', import.meta.url));

interface Choice {
  facts?: { fma: boolean; fused?: boolean; reason: string };
  info?: string;
  threads?: number;
  takes?: boolean[];
  c0?: number;
  error?: string;
  code?: string;
}

function choice(fma: string | undefined): Promise<Choice> {
  const { GRAFT_WASM_FMA: _f, GRAFT_WASM_THREADS: _t, ...rest } = process.env;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import=tsx', fixture], {
      env: { ...rest, ...(fma !== undefined ? { GRAFT_WASM_FMA: fma } : {}), GRAFT_WASM_THREADS: '1', GRAFT_BACKEND: '' },
      timeout: 60_000,
    }, (error, out, err) => {
      if (error) reject(new Error(`${error.message}\n${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as Choice);
    });
  });
}

const ONE_ROUNDING = 2 ** -24;

test('GRAFT_WASM_FMA unset: fused multiply-add where the CPU fuses it, and then no product goes to XNNPACK', async t => {
  // This process probes the runtime as the child will (V8's flag is per process, the CPU the same).
  const support = relaxedSimdSupport();
  const r = await choice(undefined);
  t.is(r.error, undefined);
  t.is(r.threads, 1);
  t.is(r.facts!.fma, support.available && support.fused === true, r.facts!.reason);
  t.is(r.info, r.facts!.reason);
  if (r.facts!.fma) {
    t.is(r.c0, ONE_ROUNDING, 'matMul rounds each multiply-add once');
    t.deepEqual(r.takes, [false, false], 'a weight used again still stays on the GEMM');
  } else {
    t.is(r.c0, 0);
    t.log(`FMA off here: ${r.facts!.reason}`);
  }
});

test('GRAFT_WASM_FMA=0: two roundings, bit-identical to XNNPACK, which then takes a few rows against a weight used again', async t => {
  const r = await choice('0');
  t.deepEqual(r.facts, { fma: false, reason: 'off (GRAFT_WASM_FMA=0)' });
  t.is(r.c0, 0, 'acc + a*b rounds twice');
  t.deepEqual(r.takes, [false, true], 'first use on the GEMM, the second to XNNPACK');
});

test('GRAFT_WASM_FMA=1 demands relaxed SIMD; any other value is an error naming the variable', async t => {
  const support = relaxedSimdSupport();
  const on = await choice('1');
  if (support.available) {
    t.true(on.facts!.fma);
    t.is(on.c0, support.fused ? ONE_ROUNDING : 0);
  } else {
    t.regex(on.error!, /GRAFT_WASM_FMA=1 but this runtime has no WebAssembly relaxed SIMD/);
  }
  const bad = await choice('yes');
  t.regex(bad.error!, /GRAFT_WASM_FMA: expected 0 or 1, got 'yes'/);
  t.is(bad.code, 'GRAFT_ERR_BAD_OPTION');
});
