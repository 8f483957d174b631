/**
 * Typed-array transposes shared by the Transpose and BatchMatMul kernels. Pure JS over views; the
 * measured JS loops beat tfjs-backend-wasm 4.22's generic C++ transpose (see bench/kernels.ts).
 */
import type { NumericArray } from './heap.ts';

/**
 * Tile edge for 2-D transposes. Tiling keeps the strided side within a few cache lines; writes are
 * the contiguous inner loop, which measured fastest on tall, wide and square matrices.
 */
const TILE = 32;

/** dst[dstOff + c*rows + r] = src[srcOff + r*cols + c] for a row-major rows x cols matrix. */
export function transpose2d(
  src: NumericArray, srcOff: number, dst: NumericArray, dstOff: number, rows: number, cols: number,
): void {
  for (let c0 = 0; c0 < cols; c0 += TILE) {
    const c1 = c0 + TILE < cols ? c0 + TILE : cols;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = r0 + TILE < rows ? r0 + TILE : rows;
      for (let c = c0; c < c1; c++) {
        const d = dstOff + c * rows;
        let s = srcOff + r0 * cols + c;
        for (let r = r0; r < r1; r++, s += cols) dst[d + r] = src[s];
      }
    }
  }
}

/** Transposes the last two axes of a [batch, rows, cols] array. */
export function transposeBatched(
  src: NumericArray, srcOff: number, dst: NumericArray, dstOff: number,
  batch: number, rows: number, cols: number,
): void {
  const n = rows * cols;
  for (let b = 0; b < batch; b++) transpose2d(src, srcOff + b * n, dst, dstOff + b * n, rows, cols);
}

/**
 * Drops size-1 axes and merges input axes that stay adjacent and in order under `perm`, so e.g.
 * [B,C,H,W] with perm [0,2,3,1] becomes [B,C,H*W] with [0,2,1]. Fewer axes mean tighter loops.
 */
export function canonicalizeTranspose(shape: readonly number[], perm: readonly number[]):
  { shape: number[]; perm: number[] } {
  // Drop size-1 axes and renumber the survivors.
  const keep: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) keep.push(i);
  const renum = new Map<number, number>(keep.map((axis, i) => [axis, i]));
  let s = keep.map(a => shape[a]);
  let p = perm.filter(a => shape[a] !== 1).map(a => renum.get(a)!);
  // Merge runs p[k], p[k]+1, ... (consecutive in both input and output order).
  const groups: number[][] = [];
  for (const a of p) {
    const last = groups[groups.length - 1];
    if (last != null && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const order = groups.map(g => g[0]).slice().sort((x, y) => x - y);
  const newIndex = new Map<number, number>(order.map((first, i) => [first, i]));
  const mergedShape: number[] = new Array(groups.length);
  for (const g of groups) mergedShape[newIndex.get(g[0])!] = g.reduce((acc, a) => acc * s[a], 1);
  s = mergedShape;
  p = groups.map(g => newIndex.get(g[0])!);
  return { shape: s, perm: p };
}

/** Minimum contiguous run worth a TypedArray.set (below it a loop avoids subarray allocations). */
const SET_MIN = 64;

/**
 * General transpose of a row-major array of `shape` into dst (out axis i = input axis perm[i]).
 * Expects canonicalized shape/perm; dispatches to the 2-D tiled routine where it applies.
 */
export function transposeND(
  src: NumericArray, dst: NumericArray, shape: readonly number[], perm: readonly number[],
): void {
  const rank = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return;
  if (rank <= 1 || perm.every((a, i) => a === i)) {
    dst.set(src.subarray(0, size));
    return;
  }
  if (rank === 2) {
    transpose2d(src, 0, dst, 0, shape[0], shape[1]);
    return;
  }
  if (rank === 3 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1) {
    transposeBatched(src, 0, dst, 0, shape[0], shape[1], shape[2]);
    return;
  }
  // Odometer over the output's outer axes; the innermost output axis is copied in one run.
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  const outShape = perm.map(a => shape[a]);
  const srcStride = perm.map(a => inStrides[a]);
  const inner = outShape[rank - 1];
  const innerStride = srcStride[rank - 1];
  const outer = size / inner;
  const idx = new Array<number>(rank - 1).fill(0);
  let base = 0;
  let d = 0;
  for (let o = 0; o < outer; o++) {
    if (innerStride === 1) {
      if (inner >= SET_MIN) dst.set(src.subarray(base, base + inner), d);
      else for (let k = 0; k < inner; k++) dst[d + k] = src[base + k];
    } else {
      for (let k = 0, s = base; k < inner; k++, s += innerStride) dst[d + k] = src[s];
    }
    d += inner;
    for (let ax = rank - 2; ax >= 0; ax--) {
      base += srcStride[ax];
      if (++idx[ax] < outShape[ax]) break;
      base -= srcStride[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}
