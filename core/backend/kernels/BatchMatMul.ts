/**
 * BatchMatMul for wasm that runs every non-tiny product on XNNPACK.
 *
 * tfjs-backend-wasm 4.22 uses XNNPACK's fully-connected operator only when neither operand is
 * transposed and both batches are 1; everything else (every backward matmul, every attention
 * matmul) falls to a scalar C++ loop at ~1 GFLOP/s. Here transposed operands are first
 * materialised into scratch heap memory with the backend's C++ transpose (O(size), cheap next to
 * O(M*N*K)), then:
 *  - right operand shared by all batches: the left batches are stacked as rows, one XNNPACK call;
 *  - otherwise: one XNNPACK call per output batch on heap slices, with proper broadcasting of the
 *    outer dims.
 * Tiny per-batch products, where operator creation costs more than the loop, stay on the stock
 * kernel (threshold measured in bench/kernels.ts).
 */
import { BatchMatMul, broadcast_util, util } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import {
  heapOffset, isWasmBackend, registerTempId, releaseTempId, wasmFunction, wasmTensorId,
  type WasmBackendLike,
} from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';

/**
 * Below this many multiply-adds per batched product the per-call cost of an XNNPACK operator
 * (~3 us: creation, weight packing, setup) outweighs its faster inner loop. Measured: 16x16x16 and
 * 32x32x4 per batch are 1.5-2.6x faster on XNNPACK, 12x12x24 and 8x8x8 0.3-0.75x, 16x16x8 even.
 */
const MIN_MACS_PER_BATCH = 4096;

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** CppDType.float32 in tfjs-backend-wasm's C++ enum. */
const CPP_FLOAT32 = 0;

/**
 * [batch, rows, cols] -> [batch, cols, rows] between heap buffers with the backend's own C++
 * transpose (measured faster than a JS loop over the heap for these shapes).
 */
function transposeOnHeap(
  backend: WasmBackendLike, srcOff: number, dstOff: number, batch: number, rows: number, cols: number,
): void {
  const size = batch * rows * cols;
  if (rows === 1 || cols === 1) {
    backend.wasm.HEAPU8.copyWithin(dstOff, srcOff, srcOff + size * 4);
    return;
  }
  // Drop the batch axis when it is 1: the C++ kernel has a faster 2-D path.
  const shape = batch === 1 ? [rows, cols] : [batch, rows, cols];
  const perm = batch === 1 ? [1, 0] : [0, 2, 1];
  const fn = wasmFunction(backend, 'Transpose', null,
    ['number', 'array', 'number', 'number', 'number', 'array', 'number']);
  const src = registerTempId(backend, srcOff, size);
  const dst = registerTempId(backend, dstOff, size);
  try {
    fn(src, shapeBytes(shape), shape.length, CPP_FLOAT32, dst, shapeBytes(perm), perm.length);
  } finally {
    releaseTempId(backend, src);
    releaseTempId(backend, dst);
  }
}

/**
 * out[rows, N] = a[rows, K] x b[K, N] on XNNPACK, operands given by heap offset. `bId` is the real
 * tensor id of b when b is an unmodified input: XNNPACK then caches the packed weights on it
 * exactly as the stock kernel does (tensors are immutable, ids never reused). Scratch b gets a
 * temporary id whose release also drops its operator.
 */
function xnnMatMul(
  backend: WasmBackendLike, aOff: number, rows: number, k: number,
  bOff: number, bId: number, n: number, outOff: number,
): void {
  const fn = wasmFunction(backend, BatchMatMul, null,
    ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  const aId = registerTempId(backend, aOff, rows * k);
  const tempB = bId === 0;
  const bUse = tempB ? registerTempId(backend, bOff, k * n) : bId;
  const outId = registerTempId(backend, outOff, rows * n);
  try {
    fn(aId, shapeBytes([1, rows, k]), 3, bUse, shapeBytes([1, k, n]), 3, 0, 0, outId);
  } finally {
    releaseTempId(backend, aId);
    if (tempB) releaseTempId(backend, bUse);
    releaseTempId(backend, outId);
  }
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

function batchMatMul(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const backend = args.backend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  if (!isWasmBackend(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock(stock, args);
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  util.assert(k === kB, () => `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with ` +
    `shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} ` +
    `must match.`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  const batch = util.sizeFromShape(outer);

  const sharedB = batchB === 1;
  // Tiny per-batch products go back to stock only in layouts its `batch % batchA` indexing gets
  // right (same batches, or a single left matrix); general broadcasts such as [2,1] x [1,3] come
  // out with the wrong number of batches there, so they always take the path below.
  const stockIndexesRight = batch === batchB && (batchA === batchB || batchA === 1);
  if (!sharedB && stockIndexesRight && m * n * k < MIN_MACS_PER_BATCH) return runStock(stock, args);

  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (batch * m * n === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }

  const wasm = backend.wasm;
  let tmpA = 0;
  let tmpB = 0;
  try {
    if (transposeA) tmpA = wasm._malloc(batchA * m * k * 4) >>> 0;
    if (transposeB) tmpB = wasm._malloc(batchB * k * n * 4) >>> 0;
    let aOff = heapOffset(backend, a);
    let bOff = heapOffset(backend, b);
    const outOff = heapOffset(backend, out);
    if (transposeA) {
      transposeOnHeap(backend, aOff, tmpA, batchA, k, m);
      aOff = tmpA;
    }
    if (transposeB) {
      transposeOnHeap(backend, bOff, tmpB, batchB, n, k);
      bOff = tmpB;
    }
    const bId = transposeB ? 0 : wasmTensorId(backend, b);
    if (sharedB) {
      // batch === batchA here, and a's batches are contiguous: one call with batch*m rows.
      xnnMatMul(backend, aOff, batch * m, k, bOff, bId, n, outOff);
    } else {
      const [ia, ib] = broadcastBatchIndices(outer, outerA, outerB);
      for (let t = 0; t < batch; t++) {
        xnnMatMul(backend, aOff + ia[t] * m * k * 4, m, k, bOff + ib[t] * k * n * 4, 0, n,
          outOff + t * m * n * 4);
      }
    }
  } finally {
    if (tmpA !== 0) wasm._free(tmpA);
    if (tmpB !== 0) wasm._free(tmpB);
  }
  return out;
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
