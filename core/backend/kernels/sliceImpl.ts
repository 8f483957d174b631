/**
 * Range-only copies on the wasm heap, shared by the Slice, Unpack, SplitV and StridedSlice kernels.
 *
 * tfjs-backend-wasm 4.22's Slice starts with `backend.readSync(x.dataId)`, a copy of the *whole*
 * input out of the heap, and Unpack / SplitV / StridedSlice call that function once per output,
 * so unstacking [T, B, H] into T steps copies T x T x B x H elements. Here a slice is described as
 * runs of contiguous elements (`SliceLayout`) and copied heap-to-heap: long runs with
 * `copyWithin` (a native memmove), short ones with a typed-array loop. Elements are copied as
 * int32 / uint8 bit patterns, so float32 NaN payloads and -0 survive unchanged.
 *
 * A zero-copy view is not possible with tfjs 4.22: a TensorInfo is { dataId, shape, dtype } with
 * no offset, and BackendWasm.disposeData `_free`s the memoryOffset recorded for a dataId, so a
 * dataId pointing into another tensor's block would free an interior pointer (heap corruption)
 * and could not keep its parent alive.
 */
import { util } from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendLike } from './heap.ts';
import { backendError } from '../errors.ts';

/**
 * A slice as runs: for every index of `outer` (row-major), `run` contiguous input elements starting
 * at `start + sum(index[i] * strides[i])` go to the next `run` output elements.
 */
export interface SliceLayout {
  start: number;
  run: number;
  outer: number[];
  strides: number[];
}

/**
 * Runs of the slice `begin`/`size` of a row-major `shape` (sizes already resolved, no -1). Trailing
 * axes taken whole join the run; size-1 outer axes are dropped and outer axes that stay adjacent in
 * memory are merged, so the copy loop has as few levels as the layout allows.
 */
export function sliceLayout(shape: readonly number[], begin: readonly number[], size: readonly number[]): SliceLayout {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  let start = 0;
  for (let i = 0; i < rank; i++) start += begin[i] * strides[i];
  // k: the outermost axis of the run; every axis after it is taken whole.
  let k = rank - 1;
  while (k > 0 && size[k] === shape[k]) k--;
  const run = rank === 0 ? 1 : size[k] * strides[k];
  const outer: number[] = [];
  const outerStrides: number[] = [];
  for (let i = 0; i < k; i++) {
    if (size[i] === 1) continue;
    const last = outer.length - 1;
    // Axis i continues the previous outer axis when everything between them is taken whole.
    if (last >= 0 && outerStrides[last] === size[i] * strides[i]) {
      outer[last] *= size[i];
      outerStrides[last] = strides[i];
    } else {
      outer.push(size[i]);
      outerStrides.push(strides[i]);
    }
  }
  return { start, run, outer, strides: outerStrides };
}

/**
 * Runs at least this long are copied with copyWithin (native memmove); shorter ones with a JS loop,
 * which avoids the per-call cost. Measured on 64k elements in runs of 4..48: the loop is 1.9-3.5x
 * faster for runs of 4-8, even at 12, and memmove 1.1x / 1.8x / 2.8x faster at 16 / 24 / 48.
 */
const MEMMOVE_MIN = 16;

/** A view of the whole heap in units of the dtype's element size (4 bytes, or 1 for bool). Unsigned shift: the heap grows past 2 GB (an LSTM LM at batch 128 and vocabulary 8,000). */
export function heapElements(backend: WasmBackendLike, dtype: DataType): { heap: Int32Array | Uint8Array; bytes: number } {
  const buffer = backend.wasm.HEAPU8.buffer;
  if (dtype === 'bool') return { heap: new Uint8Array(buffer), bytes: 1 };
  if (dtype === 'float32' || dtype === 'int32') return { heap: new Int32Array(buffer, 0, buffer.byteLength >>> 2), bytes: 4 };
  throw backendError(`graft kernels: unsupported dtype ${dtype}`);
}

/** Element index of a tensor's first element in a `heapElements` view. */
export function elementIndex(backend: WasmBackendLike, info: TensorInfo, bytes: number): number {
  const off = heapOffset(backend, info);
  if (off % bytes !== 0) throw backendError(`graft kernels: misaligned ${info.dtype} tensor at heap offset ${off}`);
  return off / bytes;
}

export function copyRun(heap: Int32Array | Uint8Array, src: number, dst: number, n: number): void {
  if (n >= MEMMOVE_MIN) {
    heap.copyWithin(dst, src, src + n);
  } else {
    for (let i = 0; i < n; i++) heap[dst + i] = heap[src + i];
  }
}

/**
 * Copies the slice described by `layout` from input element index `src` to output index `dst`
 * (both in `heap`, a `heapElements` view taken after every allocation). Returns elements copied.
 */
export function copySlice(heap: Int32Array | Uint8Array, src: number, dst: number, layout: SliceLayout): number {
  const { run, outer, strides } = layout;
  let total = run;
  for (const d of outer) total *= d;
  if (total === 0) return 0;
  const base = src + layout.start;
  const rank = outer.length;
  if (rank === 0) {
    copyRun(heap, base, dst, run);
    return total;
  }
  // Odometer over all outer axes but the innermost, which is the tight loop.
  const n = outer[rank - 1];
  const stride = strides[rank - 1];
  const idx = new Array<number>(rank - 1).fill(0);
  let s = base;
  let d = dst;
  for (;;) {
    if (run >= MEMMOVE_MIN) {
      for (let i = 0, p = s; i < n; i++, p += stride, d += run) heap.copyWithin(d, p, p + run);
    } else if (run === 1) {
      for (let i = 0, p = s; i < n; i++, p += stride) heap[d++] = heap[p];
    } else {
      for (let i = 0, p = s; i < n; i++, p += stride) {
        for (let j = 0; j < run; j++) heap[d++] = heap[p + j];
      }
    }
    let ax = rank - 2;
    for (; ax >= 0; ax--) {
      s += strides[ax];
      if (++idx[ax] < outer[ax]) break;
      s -= strides[ax] * outer[ax];
      idx[ax] = 0;
    }
    if (ax < 0) return total;
  }
}

/**
 * General strided gather: out (row-major over `size`) [j] = x[sum_i (begin[i] + j_i * step[i]) *
 * xStride[i]], steps may be negative. Used by StridedSlice for non-unit strides.
 */
export function copyStrided(
  heap: Int32Array | Uint8Array, src: number, dst: number, shape: readonly number[],
  begin: readonly number[], size: readonly number[], step: readonly number[],
): number {
  const rank = shape.length;
  const total = util.sizeFromShape(size as number[]);
  if (total === 0) return 0;
  if (rank === 0) {
    heap[dst] = heap[src];
    return 1;
  }
  const xStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    xStrides[i] = acc;
    acc *= shape[i];
  }
  const jump = xStrides.map((st, i) => st * step[i]);
  let s = src;
  for (let i = 0; i < rank; i++) s += begin[i] * xStrides[i];
  const n = size[rank - 1];
  const inner = jump[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let d = dst;
  for (;;) {
    if (inner === 1) {
      copyRun(heap, s, d, n);
      d += n;
    } else {
      for (let i = 0, p = s; i < n; i++, p += inner) heap[d++] = heap[p];
    }
    let ax = rank - 2;
    for (; ax >= 0; ax--) {
      s += jump[ax];
      if (++idx[ax] < size[ax]) break;
      s -= jump[ax] * size[ax];
      idx[ax] = 0;
    }
    if (ax < 0) return total;
  }
}
