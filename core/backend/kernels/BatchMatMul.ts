/**
 * BatchMatMul for wasm on graft's generated SIMD GEMM (gemmModule.ts), for every layout.
 *
 * tfjs-backend-wasm 4.22 uses XNNPACK's fully-connected operator only when neither operand is
 * transposed and both batches are 1; everything else (every backward matmul, every attention
 * matmul) falls to a scalar C++ loop at ~1 GFLOP/s. XNNPACK itself packs its right operand on each
 * call with a new tensor (10-20 ns per element, measured), which in training is every call: for a
 * weight gradient [128, 2048] x [2048, 512] packing cost as much as the product, and attention's
 * 64 per-head products each created and packed an operator. The generated GEMM reads A with any
 * strides (a transposed A is free) and B in place; only a transposed B is first materialised
 * (by the module's SIMD transpose). Same summation order as XNNPACK: bit for bit its results where
 * the GEMM rounds twice (GRAFT_WASM_FMA=0), one rounding per product where it fuses (relaxedSimd.ts).
 *
 *  - b shared by all batches and a not transposed: the batches are stacked as rows, one product;
 *  - otherwise: one product per output batch on heap slices, with numpy broadcasting of the
 *    outer dims.
 */
import { BatchMatMul, broadcast_util, util } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmBlocked, gemmModuleOn, KC } from './gemmModule.ts';
import { gemmPoolOn, gemmThreadsOf } from './gemmThreads.ts';
import { relaxedSimd } from './relaxedSimd.ts';
import { copyRunsOn } from './copyModule.ts';
import {
  heapOffset, isWasmBackend, registerTempId, releaseTempId, wasmFunction, wasmMemoryOf, wasmTensorId,
  type WasmBackendLike,
} from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendAssert } from '../errors.ts';

/**
 * Below this many flops a product stays on the calling thread: waking a helper (Atomics.notify to
 * a thread asleep in Atomics.wait) costs tens of microseconds.
 */
const MIN_PARALLEL_FLOPS = 2e6;

/**
 * A row stride (in float32s) for an operand the GEMM walks down its rows: n, or n + 16 where n
 * floats are a multiple of 256 bytes. The GEMM reads an 8-column panel of B (and a transposed A's
 * four rows) one row after the other; with such a stride those rows fall in 1/4 or fewer of the
 * L1 cache's 64 sets (address bits 6-11), so a 128-row block of the panel keeps evicting itself.
 * One more cache line a row spreads them over all sets. Measured on the reference GPT's products
 * (one thread, bench/productsAlone.ts): see core/backend/README.md.
 */
export function conflictFreeStride(n: number): number {
  return process.env.GRAFT_GEMM_PAD === '0' ? n : (n * 4) % 256 === 0 ? n + 16 : n;
}

/**
 * An operand is copied to a padded stride only when the GEMM reads each of its elements at least
 * this many times per thread (rows of A against B, columns of B against A): the copy, one read and
 * one write an element, runs on the calling thread while the product is shared out.
 */
const PAD_MIN_USES = 96;

/** Shallower products read so few rows of a B panel that they stay in L1 whatever the stride. */
const PAD_MIN_DEPTH = 64;

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/**
 * out[rows, N] = a[rows, K] x b[K, N] on XNNPACK through the backend's BatchMatMul entry point,
 * a and out by heap offset, b by its tensor id: XNNPACK caches its packed copy on it as the stock
 * kernel does (tensors are immutable, ids never reused).
 */
function xnnMatMul(backend: WasmBackendLike, aOff: number, rows: number, k: number, bId: number, n: number, outOff: number): void {
  const fn = wasmFunction(backend, BatchMatMul, null,
    ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  const aId = registerTempId(backend, aOff, rows * k);
  const outId = registerTempId(backend, outOff, rows * n);
  try {
    fn(aId, shapeBytes([1, rows, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, outId);
  } finally {
    releaseTempId(backend, aId);
    releaseTempId(backend, outId);
  }
}

/** Whether the float32 at heap byte offset `off` is +0 or -0. */
function zeroAt(backend: WasmBackendLike, off: number): boolean {
  return (new Int32Array(backend.wasm.HEAPU8.buffer, off, 1)[0]! & 0x7fffffff) === 0;
}

/** For each flattened output batch, the flattened batch index into a and b (numpy broadcasting). */
function broadcastBatchIndices(outer: number[], outerA: number[], outerB: number[]): [Int32Array, Int32Array] {
  const total = util.sizeFromShape(outer);
  const ia = new Int32Array(total);
  const ib = new Int32Array(total);
  const rank = outer.length;
  const idx = new Array<number>(rank).fill(0);
  const strides = (s: number[]) => {
    // Right-aligned strides of `s` against `outer`; broadcast (size-1 or absent) dims get stride 0.
    const st = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let i = s.length - 1, j = rank - 1; i >= 0; i--, j--) {
      st[j] = s[i] === 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  const sa = strides(outerA);
  const sb = strides(outerB);
  let oa = 0;
  let ob = 0;
  for (let t = 0; t < total; t++) {
    ia[t] = oa;
    ib[t] = ob;
    for (let d = rank - 1; d >= 0; d--) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < outer[d]) break;
      oa -= sa[d] * outer[d];
      ob -= sb[d] * outer[d];
      idx[d] = 0;
    }
  }
  return [ia, ib];
}

/**
 * out = a x b (+ bias broadcast over rows) on the GEMM, for float32 a and b on wasm. `bias`, when
 * given, has n elements (shape [n] or [1, ..., 1, n]): the output starts as bias rows (`biasRows`,
 * written by the task that computes those rows) and the products accumulate onto it, which is
 * XNNPACK's order for a fused bias (bit-identical results where the GEMM rounds twice).
 */
export function matMulOnGemm(
  backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
  bias: TensorInfo | null,
): TensorInfo {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  backendAssert(k === kB, () => `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with ` +
    `shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} ` +
    `must match.`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  const batch = util.sizeFromShape(outer);

  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (batch * m * n === 0) return out;
  if (k === 0) {
    // No products: the bias rows, or zeros.
    const rows = backend.typedArrayFromHeap(out) as Float32Array;
    if (bias == null) rows.fill(0);
    else for (let r = 0, row = backend.typedArrayFromHeap(bias) as Float32Array; r < batch * m; r++) rows.set(row, r * n);
    return out;
  }

  const wasm = backend.wasm;
  let tmpA = 0;
  let tmpB = 0;
  let tmpR = 0;
  try {
    let aOff = heapOffset(backend, a);
    let bOff = heapOffset(backend, b);
    // b's own data ([k, n] or [n, k] per batch, contiguous), whatever copy the GEMM reads.
    const bData = bOff;
    const outOff = heapOffset(backend, out);
    const memory = wasmMemoryOf(backend);
    if (bias == null && xnnpackTakes(backend, a, b, transposeA, transposeB)) {
      // a's batches stacked as rows against the one (untransposed) b.
      xnnMatMul(backend, aOff, batch * m, k, wasmTensorId(backend, b), n, outOff);
      return out;
    }
    // Row strides in elements of the operands as the GEMM reads them: B's rows (and a transposed
    // A's) are padded where a copy is made anyway or pays for itself (see conflictFreeStride).
    const threads = gemmThreadsOf(backend);
    let ldb = n;
    let lda = transposeA ? m : k;
    const rowsPerB = batchB === 1 ? batch * m : m;
    const pad = k >= PAD_MIN_DEPTH;
    if (transposeB) {
      // B's rows must be contiguous along n: a transposed B is materialised (A is read in place).
      if (pad) ldb = conflictFreeStride(n);
      tmpB = wasm._malloc(batchB * k * ldb * 4) >>> 0;
      gemmModuleOn(memory).transpose(batchB, n, k, bOff, tmpB, ldb, k);
      bOff = tmpB;
    } else if (pad && batchB === 1 && rowsPerB >= PAD_MIN_USES * threads && conflictFreeStride(n) !== n) {
      ldb = conflictFreeStride(n);
      tmpB = wasm._malloc(k * ldb * 4) >>> 0;
      copyRunsOn(memory)(k, n * 4, bOff, n * 4, tmpB, ldb * 4);
      bOff = tmpB;
    }
    if (pad && transposeA && batchA === 1 && batchB === 1 && n >= PAD_MIN_USES * threads && conflictFreeStride(m) !== m) {
      lda = conflictFreeStride(m);
      tmpA = wasm._malloc(k * lda * 4) >>> 0;
      copyRunsOn(memory)(k, m * 4, aOff, m * 4, tmpA, lda * 4);
      aOff = tmpA;
    }
    // With a bias, each task first writes the bias into its rows of the output (in wasm, on the
    // thread that then accumulates the product onto them, while they are in its cache).
    const biasOff = bias != null ? heapOffset(backend, bias) : 0;
    const accumulate = bias != null;
    // Byte strides of A's rows and columns, stored [m, k] or (transposed) [k, m].
    const sam = transposeA ? 4 : lda * 4;
    const sak = transposeA ? lda * 4 : 4;
    // Products as [rows, a, b, out, ranges, b's own data] offsets: a's batches are contiguous rows
    // against a shared, untransposed-a b (one product of batch*m rows), else one product per
    // output batch.
    const products: [number, number, number, number, number, number][] = [];
    if (batchB === 1 && !transposeA) {
      products.push([batch * m, aOff, bOff, outOff, 0, bData]);
    } else {
      const [ia, ib] = broadcastBatchIndices(outer, outerA, outerB);
      for (let t = 0; t < batch; t++) {
        products.push([m, aOff + ia[t] * m * k * 4, bOff + ib[t] * k * ldb * 4, outOff + t * m * n * 4, 0, bData + ib[t] * k * n * 4]);
      }
    }
    const rows0 = products[0]![0];
    if (bias == null && k <= KC && rows0 >= 8 && (zeroAt(backend, aOff + (k - 1) * sak) || zeroAt(backend, aOff + (rows0 - 1) * sam))) {
      // A corner is zero: maybe a triangular A (causal attention's probabilities and their
      // gradient). Per-row ranges of non-zero A let the GEMM skip the zero stretches; skipping
      // terms 0*b is exact when b is finite, so only then (see rowRanges in gemmModule.ts).
      const mod = gemmModuleOn(memory);
      tmpR = wasm._malloc(products.length * rows0 * 8) >>> 0;
      products.forEach((pr, i) => {
        if (mod.allFinite(k * n, pr[5]) === 0) return;
        pr[4] = tmpR + i * rows0 * 8;
        mod.rowRanges(pr[0], k, pr[1], sam, sak, pr[4]);
      });
    }
    if (threads > 1 && 2 * batch * m * n * k >= MIN_PARALLEL_FLOPS) {
      const plan = gemmPoolOn(memory, threads).plan;
      // Tasks for whichever thread is free: whole products when there are several per thread,
      // else row ranges (multiples of the 4-row tile, at least 32 rows), a few per thread. A
      // weight gradient (transposed A, deep k: B is a [tokens, width] gradient, megabytes) in one
      // range per thread: each range reads all of B, so more of them read it again from L3
      // (`node --import=tsx` A/B in one process, 2 threads: the reference GPT's four dW products
      // 4-9% faster than in four or eight ranges).
      const perThread = transposeA && k > KC ? 1 : 4;
      const parts = products.length >= 2 * threads ? 1 : Math.max(1, Math.min(perThread * threads, Math.floor(rows0 / 32)));
      for (const [rows, a0, b0, c0, r] of products) {
        for (let j = 0; j < parts; j++) {
          const r0 = j === 0 ? 0 : Math.floor((rows * j) / parts / 4) * 4;
          const r1 = j === parts - 1 ? rows : Math.floor((rows * (j + 1)) / parts / 4) * 4;
          if (r1 <= r0) continue;
          plan.task();
          if (accumulate) plan.call('biasRows', r1 - r0, n, biasOff, c0 + r0 * n * 4, n * 4);
          gemmBlocked(plan.record, r1 - r0, n, k, a0 + r0 * sam, sam, sak, b0, ldb * 4, c0 + r0 * n * 4, n * 4, accumulate, r === 0 ? 0 : r + r0 * 8);
        }
      }
      plan.finish();
    } else {
      const mod = gemmModuleOn(memory);
      for (const [rows, a0, b0, c0, r] of products) {
        if (accumulate) mod.biasRows(rows, n, biasOff, c0, n * 4);
        gemmBlocked(mod.gemm, rows, n, k, a0, sam, sak, b0, ldb * 4, c0, n * 4, accumulate, r);
      }
    }
  } finally {
    if (tmpA !== 0) wasm._free(tmpA);
    if (tmpB !== 0) wasm._free(tmpB);
    if (tmpR !== 0) wasm._free(tmpR);
  }
  return out;
}

/** Right operands (by dataId) already multiplied once; see `xnnpackTakes`. */
const seenRightOperands = new WeakSet<object>();

/**
 * Up to this many rows a product whose right operand was used before goes to XNNPACK, which keeps
 * a packed copy of it: `node --import=tsx bench/xnnpackRows.ts` ([rows,128]x[128,512], one
 * thread, the whole op) measured XNNPACK's packed route at 8-17 µs for 1-3 rows against 14-44 on
 * the GEMM (one-row tiles each read all of b), and the GEMM faster from 4 rows on, packed copy or
 * not: 4 rows 14 vs 17.5 µs, 256 rows 0.76 vs 0.93 ms, 2,048 rows 6.0 vs 7.4 ms; a new right
 * operand costs XNNPACK ~170 µs more (its packing). Sampling with the key/value cache (one row a
 * product) is the case it serves.
 */
export const XNNPACK_MAX_ROWS = 3;

/**
 * True when XNNPACK should take a plain product (no transposed a, one right matrix, one thread):
 * a few rows against a right operand used before (inference with fixed weights: XNNPACK keeps its
 * packed copy, keyed by tensor). Everything else stays on the GEMM, which reads b in place: in
 * training every weight is a new tensor each step or rewritten in place (`adamwInPlace`, which
 * drops the packed copy), and XNNPACK would pack it again (measured on the reference GPT's 1-thread
 * step, `npm run -s bench -- --backends wasm --only throughput --no-torch` twice each way,
 * alternated, with the old rule behind a temporary switch: 330-334 ms with everything on the GEMM,
 * 435-496 ms when products of 1,024 rows or more went to XNNPACK).
 * XNNPACK and the GEMM sum in the same order, so the choice never changes a result; with the GEMM's
 * fused multiply-add on (relaxedSimd.ts) they round differently, so then nothing goes to XNNPACK
 * and a product's bits never depend on whether its weights were used before.
 */
export function xnnpackTakes(backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): boolean {
  if (transposeA || transposeB || util.sizeFromShape(b.shape.slice(0, -2)) !== 1 || gemmThreadsOf(backend) > 1) return false;
  if (util.sizeFromShape(a.shape.slice(0, -1)) > XNNPACK_MAX_ROWS || relaxedSimd().fma) return false;
  if (seenRightOperands.has(b.dataId)) return true;
  seenRightOperands.add(b.dataId);
  return false;
}

function batchMatMul(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const backend = args.backend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (!isWasmBackend(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock(stock, args);
  }
  return matMulOnGemm(backend, a, b, transposeA, transposeB, null);
}

export const batchMatMulWasm: GraftKernelSpec = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({
    kernelName: BatchMatMul,
    backendName: 'wasm',
    kernelFunc: asKernelFunc(args => batchMatMul(args, stock)),
  }),
};
