/**
 * graft's generated wasm GEMM (core/backend/kernels/gemmModule.ts) and the BatchMatMul kernel built
 * on it: every tile remainder, cache-block boundary and operand layout, against float32 running
 * sums computed in JS (bit for bit), the stock wasm kernel (XNNPACK: bit for bit) and stock cpu.
 * Serial: the active backend and kernel registry are process-global.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { registerGraftKernels } from '../../../core/backend/index.ts';
import { gemmBlocked, gemmModuleBytes, gemmModuleOn, gemmOn, type GemmFn } from '../../../core/backend/kernels/gemmModule.ts';
import { wasmMemoryOf, type WasmBackendLike } from '../../../core/backend/kernels/heap.ts';
import { conflictFreeStride, XNNPACK_MAX_ROWS, xnnpackTakes } from '../../../core/backend/kernels/BatchMatMul.ts';
import { gemmThreadsOf } from '../../../core/backend/kernels/gemmThreads.ts';
import { relaxedSimdSupport } from '../../../core/backend/kernels/relaxedSimd.ts';
import { assertClose, initBackends, prng, randomValues, run, size } from './helpers.ts';

// The default GEMM here is the one without relaxed SIMD, whose sums are bit-identical to XNNPACK's
// and to running sums in JavaScript; the FMA form is tested on its own below.
process.env.GRAFT_WASM_FMA = '0';

test.before(async () => {
  await initBackends();
  registerGraftKernels('wasm', { fastKernels: true });
});

test.after.always(async () => {
  await tf.setBackend('wasm');
});

/** C = A B as float32 running sums in increasing k (the order the kernel promises). */
function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, aT: boolean): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = Math.fround(s + Math.fround((aT ? a[p * m + i]! : a[i * k + p]!) * b[p * n + j]!));
      c[i * n + j] = s;
    }
  }
  return c;
}

/** C = A B by `gemm` (through gemmBlocked) on wasm heap copies of `av` and `bv`; C starts as stale values (123), which must be overwritten. */
function gemmOnHeap(backend: WasmBackendLike, gemm: GemmFn, av: Float32Array, bv: Float32Array, m: number, n: number, k: number, aT: boolean): Float32Array {
  const heap = backend.wasm;
  const aPtr = heap._malloc(m * k * 4) >>> 0;
  const bPtr = heap._malloc(k * n * 4) >>> 0;
  const cPtr = heap._malloc(m * n * 4) >>> 0;
  try {
    new Float32Array(heap.HEAPU8.buffer, aPtr, m * k).set(av);
    new Float32Array(heap.HEAPU8.buffer, bPtr, k * n).set(bv);
    new Float32Array(heap.HEAPU8.buffer, cPtr, m * n).fill(123);
    gemmBlocked(gemm, m, n, k, aPtr, aT ? 4 : k * 4, aT ? m * 4 : 4, bPtr, n * 4, cPtr, n * 4);
    return new Float32Array(heap.HEAPU8.buffer, cPtr, m * n).slice();
  } finally {
    heap._free(aPtr);
    heap._free(bPtr);
    heap._free(cPtr);
  }
}

test('gemm module: valid wasm for unshared and shared memory', t => {
  const wasmApi = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly;
  t.true(wasmApi.validate(gemmModuleBytes(false)));
  t.true(wasmApi.validate(gemmModuleBytes(true)));
});

test.serial('gemm: bit-exact running sums for every tile remainder, block boundary and A layout', async t => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendLike;
  const gemm = gemmOn(wasmMemoryOf(backend));
  const rand = prng(41);
  // m around the 4-row tile, n around the 8/4/1-column panels and the 256-column block, k around
  // the 128-deep block (k > 128 accumulates into C across blocks).
  const cases: [number, number, number][] = [
    [1, 1, 1], [3, 5, 2], [4, 8, 1], [5, 9, 7], [7, 13, 129], [9, 4, 128], [8, 12, 300], [6, 263, 130], [13, 300, 257],
  ];
  for (const [m, n, k] of cases) {
    for (const aT of [false, true]) {
      const av = randomValues(rand, m * k);
      const bv = randomValues(rand, k * n);
      t.deepEqual(gemmOnHeap(backend, gemm, av, bv, m, n, k, aT), reference(av, bv, m, n, k, aT), `m=${m} n=${n} k=${k} aT=${aT}`);
    }
  }
});

/** As `reference`, but the vector columns add each product with one rounding (FMA), the last n % 4 (scalar tail) columns with two. */
function fmaReference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, aT: boolean): Float32Array {
  const c = new Float32Array(m * n);
  const vectorCols = n - (n % 4);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = aT ? a[p * m + i]! : a[i * k + p]!;
        // The product of two float32 values is exact in float64; the sum is then rounded once.
        s = j < vectorCols ? Math.fround(s + x * b[p * n + j]!) : Math.fround(s + Math.fround(x * b[p * n + j]!));
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

test.serial('gemm with relaxed SIMD (GRAFT_WASM_FMA=1): one rounding per product where fused, within float32 rounding of float64 sums', async t => {
  const facts = relaxedSimdSupport();
  if (!facts.available) {
    t.log('skipped: no relaxed SIMD in this runtime');
    t.pass();
    return;
  }
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendLike;
  const fmaGemm = gemmOn(wasmMemoryOf(backend), { mr: 4, nvec: 2, fma: true });
  const rand = prng(42);
  let differsFromUnfused = false;
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 2], [5, 9, 7], [7, 13, 129], [8, 12, 300], [6, 263, 130]] as [number, number, number][]) {
    for (const aT of [false, true]) {
      const av = randomValues(rand, m * k);
      const bv = randomValues(rand, k * n);
      const got = gemmOnHeap(backend, fmaGemm, av, bv, m, n, k, aT);
      const what = `m=${m} n=${n} k=${k} aT=${aT}`;
      if (facts.fused) t.deepEqual(got, fmaReference(av, bv, m, n, k, aT), what);
      else t.deepEqual(got, reference(av, bv, m, n, k, aT), what);
      if (got.some((x, i) => x !== reference(av, bv, m, n, k, aT)[i])) differsFromUnfused = true;
      // Against float64 sums: within a few float32 roundings of the sum of magnitudes.
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let exact = 0;
          let mag = 0;
          for (let p = 0; p < k; p++) {
            const prod = (aT ? av[p * m + i]! : av[i * k + p]!) * bv[p * n + j]!;
            exact += prod;
            mag += Math.abs(prod);
          }
          const err = Math.abs(got[i * n + j]! - exact);
          if (err > k * 2 ** -23 * mag + 1e-30) t.fail(`${what} [${i},${j}]: ${got[i * n + j]} vs ${exact}`);
        }
      }
    }
  }
  // On a CPU with FMA the single rounding shows somewhere in these products.
  t.is(differsFromUnfused, facts.fused === true);
});

test.serial('transpose: every 4x4-block remainder, batches, padded source and destination rows, bit patterns kept', async t => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendLike;
  const { transpose } = gemmModuleOn(wasmMemoryOf(backend));
  const shapes = [[1, 1, 1], [1, 4, 4], [2, 5, 7], [3, 8, 3], [1, 2048 / 16, 32], [2, 13, 1], [1, 1, 9], [0, 4, 4]];
  for (const [batch, rows, cols] of shapes) {
    for (const [pad, srcPad] of [[0, 0], [3, 0], [16, 0], [0, 5], [16, 9]]) {
      const stride = rows + pad;
      const srcStride = cols + srcPad;
      const n = batch * rows * srcStride;
      const outN = batch * cols * stride;
      const heap = backend.wasm;
      const src = heap._malloc(Math.max(n, 1) * 4) >>> 0;
      const dst = heap._malloc(Math.max(outN, 1) * 4) >>> 0;
      try {
        // Distinct bit patterns, NaN payloads included, must arrive unchanged; the padding keeps its sentinel.
        const bits = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0x7f800001);
        new Int32Array(heap.HEAPU8.buffer, src, n).set(bits);
        new Int32Array(heap.HEAPU8.buffer, dst, outN).fill(-7);
        transpose(batch, rows, cols, src, dst, stride, srcStride);
        const got = new Int32Array(heap.HEAPU8.buffer, dst, outN).slice();
        const want = new Int32Array(outN).fill(-7);
        for (let b = 0; b < batch; b++) {
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[b * cols * stride + c * stride + r] = bits[b * rows * srcStride + r * srcStride + c]!;
        }
        t.deepEqual(got, want, `batch ${batch} rows ${rows} cols ${cols} stride ${stride} source stride ${srcStride}`);
      } finally {
        heap._free(src);
        heap._free(dst);
      }
    }
  }
});

test.serial('BatchMatMul: bit-identical to stock XNNPACK where stock uses it (no transposes, batch 1)', async t => {
  const rand = prng(43);
  for (const [m, k, n] of [[37, 300, 270], [2048 / 8, 128, 96], [5, 1, 3]]) {
    const av = randomValues(rand, m * k);
    const bv = randomValues(rand, k * n);
    const f = () => tf.matMul(tf.tensor(av, [m, k]), tf.tensor(bv, [k, n]));
    const got = await run('wasm-graft', f);
    const want = await run('wasm-stock', f);
    t.deepEqual(got.values, want.values, `[${m},${k}] x [${k},${n}]`);
  }
});

test.serial('BatchMatMul: beyond the cache blocks, transposed and broadcast operands, against cpu', async t => {
  const rand = prng(47);
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [300, 9], b: [300, 270], ta: true, tb: false }, // dW-like: deep k, transposed A
    { a: [2, 17, 260], b: [2, 131, 260], ta: false, tb: true }, // attention-like scores
    { a: [3, 130, 6], b: [130, 5], ta: true, tb: false }, // shared b, per-batch transposed a
    { a: [1, 130, 7], b: [4, 9, 130], ta: true, tb: true }, // broadcast a, both transposed
    { a: [2, 1, 5, 140], b: [1, 3, 140, 6], ta: false, tb: false }, // [2,1] x [1,3] batches
  ];
  for (const c of cases) {
    const av = randomValues(rand, size(c.a));
    const bv = randomValues(rand, size(c.b));
    const f = () => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb);
    const want = c.a.length === 4
      ? await run('cpu-stock', () => tf.matMul(tf.tile(tf.tensor(av, c.a), [1, 3, 1, 1]), tf.tile(tf.tensor(bv, c.b), [2, 1, 1, 1])))
      : await run('cpu-stock', f);
    assertClose(t, await run('wasm-graft', f), want, `a[${c.a}]${c.ta ? 'T' : ''} b[${c.b}]${c.tb ? 'T' : ''}`, 1e-4, 1e-4);
  }
});

test('conflictFreeStride: one more cache line where a row is a multiple of 256 bytes', t => {
  t.deepEqual([1, 63, 64, 96, 128, 384, 512, 100].map(conflictFreeStride), [1, 63, 80, 96, 144, 400, 528, 100]);
});

test.serial('BatchMatMul with padded operand copies (B, transposed B, transposed A): the same running sums, bit for bit', async t => {
  const rand = prng(101);
  /** [batch, m, k, n, aT, bT]: every case has a stride conflictFreeStride pads (n or m a multiple of 64). */
  const cases: [number, number, number, number, boolean, boolean][] = [
    [1, 70, 33, 64, false, false], // B copied: 70 rows use it
    [2, 40, 33, 64, false, false], // batches stacked: 80 rows use the one B
    [1, 5, 40, 128, false, true], // transposed B materialised with the padded stride
    [3, 9, 40, 64, false, true], // per-batch transposed B
    [1, 64, 300, 64, true, false], // dW-like: transposed A copied and B copied, k beyond a cache block
    [1, 128, 130, 70, true, false], // transposed A copied, B not (n = 70 is no multiple of 64)
  ];
  for (const [batch, m, k, n, aT, bT] of cases) {
    const av = randomValues(rand, batch * m * k);
    const bv = randomValues(rand, batch * k * n);
    const aStored = aT ? Float32Array.from({ length: batch * m * k }, (_, i) => {
      const b = Math.floor(i / (m * k));
      const r = i % (m * k);
      return av[b * m * k + (r % m) * k + Math.floor(r / m)]!;
    }) : av;
    const bStored = bT ? Float32Array.from({ length: batch * k * n }, (_, i) => {
      const b = Math.floor(i / (k * n));
      const r = i % (k * n);
      return bv[b * k * n + (r % k) * n + Math.floor(r / k)]!;
    }) : bv;
    const shared = !bT && batch > 1 && m === 40; // one B for every batch of a
    const f = () => tf.matMul(
      tf.tensor(aStored, aT ? [batch, k, m] : [batch, m, k]),
      shared ? tf.tensor(bv.subarray(0, k * n), [k, n]) : tf.tensor(bStored, bT ? [batch, n, k] : [batch, k, n]),
      aT, bT);
    const got = await run('wasm-graft', f);
    const want = new Float32Array(batch * m * n);
    for (let b = 0; b < batch; b++) {
      const bOf = shared ? bv.subarray(0, k * n) : bv.subarray(b * k * n, (b + 1) * k * n);
      want.set(reference(av.subarray(b * m * k, (b + 1) * m * k), bOf, m, n, k, false), b * m * n);
    }
    t.deepEqual(Float32Array.from(got.values), want, `[${batch},${m},${k}]${aT ? 'T' : ''} x [${k},${n}]${bT ? 'T' : ''}`);
  }
  // A causal (lower-triangular) A with an infinite b behind a padded copy: the zero-skipping must
  // see the infinity (0 * inf is NaN) in b's own data, not in the copy's stride.
  for (const bT of [false, true]) {
    const tri = Float32Array.from({ length: 2 * 64 * 64 }, (_, i) => ((i % 64) <= Math.floor(i / 64) % 64 ? 0.5 : 0));
    const bInf = Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) - 3);
    bInf[63 * 64 + 5] = Infinity; // b[63][5], the last row: only the last row of A reaches it
    const g = () => tf.matMul(tf.tensor(tri, [2, 64, 64]), tf.tensor(bInf, [64, 64]), false, bT);
    t.deepEqual((await run('wasm-graft', g)).values.map(String), (await run('cpu-stock', g)).values.map(String), `NaN where 0 * inf, b${bT ? 'T' : ''}`);
  }
});

test.serial('_FusedMatMul: bias rows then the product, bit-identical to stock XNNPACK (dense layers)', async t => {
  const rand = prng(53);
  for (const [m, k, n] of [[64, 128, 40], [9, 300, 270], [1, 3, 1]]) {
    const av = randomValues(rand, m * k);
    const bv = randomValues(rand, k * n);
    const biasv = randomValues(rand, n);
    const f = () => tf.fused.matMul({ a: tf.tensor(av, [m, k]), b: tf.tensor(bv, [k, n]), bias: tf.tensor(biasv, [n]) });
    t.deepEqual((await run('wasm-graft', f)).values, (await run('wasm-stock', f)).values, `[${m},${k}] x [${k},${n}] + bias`);
  }
});

test.serial('_FusedMatMul: transposes, batches, bias shapes and activations, against cpu', async t => {
  const rand = prng(59);
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean; bias: number[] | null; act: 'linear' | 'relu' }[] = [
    { a: [2, 20, 30], b: [2, 30, 9], ta: false, tb: false, bias: [9], act: 'linear' },
    { a: [30, 20], b: [9, 30], ta: true, tb: true, bias: [1, 9], act: 'linear' },
    { a: [20, 30], b: [30, 9], ta: false, tb: false, bias: null, act: 'linear' },
    { a: [20, 30], b: [30, 9], ta: false, tb: false, bias: [9], act: 'relu' }, // activation: stock
    { a: [2, 0, 30], b: [30, 9], ta: false, tb: false, bias: [9], act: 'linear' }, // empty
    { a: [4, 0], b: [0, 9], ta: false, tb: false, bias: [9], act: 'linear' }, // k = 0: just the bias
  ];
  for (const c of cases) {
    const av = randomValues(rand, size(c.a));
    const bv = randomValues(rand, size(c.b));
    const biasv = c.bias ? randomValues(rand, size(c.bias)) : null;
    const f = () => tf.fused.matMul({
      a: tf.tensor(av, c.a), b: tf.tensor(bv, c.b), transposeA: c.ta, transposeB: c.tb,
      bias: biasv && c.bias ? tf.tensor(biasv, c.bias) : undefined, activation: c.act,
    });
    const what = `a[${c.a}]${c.ta ? 'T' : ''} b[${c.b}]${c.tb ? 'T' : ''} bias ${c.bias} ${c.act}`;
    assertClose(t, await run('wasm-graft', f), await run('cpu-stock', f), what, 1e-4, 1e-4);
  }
  // A bias that is not one row goes to stock, which supports none on wasm: its error, unchanged.
  const full = () => tf.fused.matMul({ a: tf.ones([20, 30]), b: tf.ones([30, 9]), bias: tf.ones([20, 9]) });
  await t.throwsAsync(() => run('wasm-graft', full), { message: /only supports rank-1 bias/ });
});

test.serial('fixed weights used again go to stock XNNPACK (cached packing) for a few rows: results unchanged, bit for bit', async t => {
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
  const rand = prng(83);
  const w = tf.tensor(randomValues(rand, 64 * 48), [64, 48]);
  const bias = tf.tensor(randomValues(rand, 48), [48]);
  for (const rows of [1, XNNPACK_MAX_ROWS, 33]) {
    const x = tf.tensor(randomValues(rand, rows * 64), [rows, 64]);
    const plain = [0, 1, 2].map(() => tf.matMul(x, w));
    const fused = [0, 1, 2].map(() => tf.fused.matMul({ a: x, b: w, bias }));
    const want = reference(await x.data() as Float32Array, await w.data() as Float32Array, rows, 48, 64, false);
    for (let i = 0; i < 3; i++) {
      t.deepEqual(await plain[i]!.data(), want, `${rows} rows: matMul call ${i + 1}`);
      t.deepEqual(await fused[i]!.data(), await fused[0]!.data(), `${rows} rows: fused call ${i + 1}`);
    }
    tf.dispose([x, ...plain, ...fused]);
  }
  tf.dispose([w, bias]);
});

test.serial('xnnpackTakes: a few rows against a right operand used before; tall, transposed, batched and new operands stay on the GEMM', async t => {
  await tf.setBackend('wasm');
  const backend = tf.backend() as unknown as WasmBackendLike;
  const w = tf.ones([8, 4]);
  const wT = tf.ones([4, 8]);
  const wb = tf.ones([2, 8, 4]);
  const x = (rows: number) => tf.ones([rows, 8]);
  // On a threaded build every product stays on the GEMM (its threads): every answer is false.
  const threaded = gemmThreadsOf(backend) > 1;
  const takes = (want: boolean, a: tf.Tensor, b: tf.Tensor, what: string, ta = false, tb = false) => {
    t.is(xnnpackTakes(backend, a, b, ta, tb), want && !threaded, what);
    a.dispose();
  };
  takes(false, x(1), w, 'first use of w: not packed yet');
  takes(true, x(1), w, 'w used again, 1 row');
  takes(true, x(XNNPACK_MAX_ROWS), w, `w used again, ${XNNPACK_MAX_ROWS} rows`);
  takes(false, x(XNNPACK_MAX_ROWS + 1), w, `${XNNPACK_MAX_ROWS + 1} rows`);
  takes(false, x(2048), w, 'tall');
  takes(true, tf.ones([1, 2, 8]), w, 'batches of a stacked as rows: 2');
  takes(false, tf.ones([2, 2, 8]), w, 'batches of a stacked as rows: 4');
  takes(false, tf.ones([8, 1]), w, 'a transposed', true);
  takes(false, x(1), wT, 'b transposed (first use)', false, true);
  takes(false, x(1), wT, 'b transposed (again)', false, true);
  takes(false, tf.ones([2, 1, 8]), wb, 'a right operand per batch');
  takes(false, tf.ones([2, 1, 8]), wb, 'a right operand per batch (again)');
  tf.dispose([w, wT, wb]);
});

test.serial('zero-skipping row ranges: triangular, banded and zero rows, -0, both A layouts, bit-exact', async t => {
  await tf.setBackend('wasm');
  registerGraftKernels('wasm', { fastKernels: true });
  const rand = prng(89);
  // [batch, m, k] x [batch, k, n] with A lower-triangular (causal probabilities), its transpose
  // (their gradient), a band, rows of zeros and -0 entries; k within one cache block.
  const shapes: [number, number, number, number][] = [[3, 20, 24, 9], [2, 37, 37, 33], [1, 8, 128, 5], [2, 9, 9, 1]];
  for (const [batch, m, k, n] of shapes) {
    for (const pattern of ['lower', 'upper', 'band', 'zero rows'] as const) {
      for (const aT of [false, true]) {
        const a = randomValues(rand, batch * m * k);
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < k; j++) {
              const keep = pattern === 'lower' ? j <= i : pattern === 'upper' ? j >= i : pattern === 'band' ? Math.abs(i - j) <= 2 : i % 3 !== 1;
              if (!keep) a[b * m * k + i * k + j] = (i + j) % 2 === 0 ? 0 : -0;
            }
          }
        }
        // Stored transposed when aT: the same logical A.
        const stored = aT ? new Float32Array(batch * m * k) : a;
        if (aT) for (let b = 0; b < batch; b++) for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) stored[b * m * k + j * m + i] = a[b * m * k + i * k + j]!;
        const bv = randomValues(rand, batch * k * n);
        const got = await run('wasm-graft', () => tf.matMul(tf.tensor(stored, aT ? [batch, k, m] : [batch, m, k]), tf.tensor(bv, [batch, k, n]), aT, false));
        const want = new Float32Array(batch * m * n);
        for (let b = 0; b < batch; b++) {
          want.set(reference(a.subarray(b * m * k, (b + 1) * m * k), bv.subarray(b * k * n, (b + 1) * k * n), m, n, k, false), b * m * n);
        }
        t.deepEqual(Float32Array.from(got.values), want, `${pattern} aT=${aT} [${batch},${m},${k}] x [${k},${n}]`);
      }
    }
  }
  // An infinite b: 0 * inf is NaN, so nothing may be skipped (lower-triangular [8, 4] A).
  const tri = new Float32Array(32).map((_, i) => (i % 4 <= Math.floor(i / 4) % 4 ? 1 : 0));
  const bInf = new Float32Array(8).fill(1);
  bInf[7] = Infinity;
  const g = () => tf.matMul(tf.tensor(tri, [1, 8, 4]), tf.tensor(bInf, [1, 4, 2]));
  t.deepEqual((await run('wasm-graft', g)).values.map(String), (await run('cpu-stock', g)).values.map(String), 'NaN where 0 * inf');
});

test.serial('tall products (new, transposed and stacked-batch right operands) on the GEMM: the running sums', async t => {
  const rand = prng(97);
  for (const [batch, m, k, n, tb] of [[1, 1030, 70, 37, false], [1, 1030, 70, 37, true], [2, 515, 70, 37, true], [1, 1024, 3, 1, false]] as [number, number, number, number, boolean][]) {
    const av = randomValues(rand, batch * m * k);
    const bv = randomValues(rand, k * n);
    const bStored = tb ? Float32Array.from({ length: k * n }, (_, i) => bv[(i % k) * n + Math.floor(i / k)]!) : bv;
    const f = () => tf.matMul(tf.tensor(av, [batch, m, k]), tf.tensor(bStored, tb ? [n, k] : [k, n]), false, tb);
    const got = await run('wasm-graft', f);
    t.deepEqual(Float32Array.from(got.values), reference(av, bv, batch * m, n, k, false), `[${batch},${m},${k}] x ${tb ? `[${n},${k}]T` : `[${k},${n}]`}`);
  }
});
