/** Reduction over a contiguous block of axes, shared by the Sum and Mean kernels. */
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOffset, isWasmBackend, view, wasmMemoryOf, type NumericArray } from './heap.ts';
import { reduceRowsOn } from './reduceModule.ts';

/** Splits `shape` into [outer, reduce, inner] if `axes` (ignoring size-1 dims) are one block. */
export function reductionBlock(shape: readonly number[], axes: readonly number[]):
  { outer: number; reduce: number; inner: number } | null {
  const isAxis = new Set(axes);
  let outer = 1;
  let reduce = 1;
  let inner = 1;
  let phase = 0; // 0: before the block, 1: in it, 2: after it
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === 1) continue;
    if (isAxis.has(i)) {
      if (phase === 2) return null;
      phase = 1;
      reduce *= d;
    } else if (phase === 0) {
      outer *= d;
    } else {
      phase = 2;
      inner *= d;
    }
  }
  return { outer, reduce, inner };
}

/**
 * o[p, i] = scale * sum_r xs[p, r, i] for xs laid out [outer, reduce, inner]. Accumulates a
 * float64 row, adding input rows eight at a time: that cuts accumulator loads/stores per input
 * element 8x and measured 2.5-4x faster than one row at a time.
 */
export function reduceRows(
  xs: NumericArray, o: NumericArray, outer: number, reduce: number, inner: number, scale = 1,
): void {
  const acc = new Float64Array(inner);
  const s = inner;
  for (let p = 0; p < outer; p++) {
    acc.fill(0);
    const start = p * reduce * inner;
    let r = 0;
    for (; r + 8 <= reduce; r += 8) {
      const b = start + r * s;
      for (let i = 0; i < inner; i++) {
        const j = b + i;
        acc[i] += ((xs[j] + xs[j + s]) + (xs[j + 2 * s] + xs[j + 3 * s])) +
          ((xs[j + 4 * s] + xs[j + 5 * s]) + (xs[j + 6 * s] + xs[j + 7 * s]));
      }
    }
    for (; r < reduce; r++) {
      const b = start + r * s;
      for (let i = 0; i < inner; i++) acc[i] += xs[b + i];
    }
    const base = p * inner;
    if (scale === 1) o.set(acc, base);
    else for (let i = 0; i < inner; i++) o[base + i] = acc[i] * scale;
  }
}

/**
 * reduceRows from tensor `x` into tensor `out`: float32 on wasm in the SIMD module (same float64
 * arithmetic in the same order, bit-identical), everything else in the JS loop.
 */
export function reduceTensorRows(
  backend: KernelBackend, x: TensorInfo, out: TensorInfo, outer: number, reduce: number, inner: number, scale = 1,
): void {
  if (isWasmBackend(backend) && x.dtype === 'float32') {
    const acc = backend.wasm._malloc(inner * 8) >>> 0;
    try {
      reduceRowsOn(wasmMemoryOf(backend))(outer, reduce, inner, heapOffset(backend, x), heapOffset(backend, out), acc, scale);
    } finally {
      backend.wasm._free(acc);
    }
    return;
  }
  reduceRows(view(backend, x), view(backend, out), outer, reduce, inner, scale);
}
