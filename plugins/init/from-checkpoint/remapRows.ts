import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { alignVocab } from './alignVocab.ts';

/** A dense row-major array and its shape (a checkpoint tensor). */
export interface DenseArray {
  data: Float32Array;
  shape: readonly number[];
}

/**
 * Re-index the vocabulary axis of a matrix from `oldVocab` to `newVocab` (ULMFiT's hand-over: "the
 * vocabulary carries across stages; tokens new in a later stage get the mean embedding"). Along
 * `axis`, slice `j` of the result is the old slice of the same token string, or, for a token the
 * old vocabulary lacks, the mean of all old slices. `axis` is 0 for an embedding [V, D], 1 for an
 * output kernel [D, V], 0 for an output bias [V]. The result has the old shape with `shape[axis]`
 * replaced by `newVocab.length`.
 */
export function remapRows(old: DenseArray, oldVocab: readonly string[], newVocab: readonly string[], axis = 0): Float32Array {
  const { data, shape } = old;
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new GraftError(ErrorCodes.DATA, `remapRows: axis ${axis} is not an axis of shape [${shape}]`);
  }
  const Vo = shape[axis]!;
  if (Vo !== oldVocab.length) {
    throw new GraftError(ErrorCodes.DATA, `remapRows: axis ${axis} of shape [${shape}] has ${Vo} entries but the old vocabulary has ${oldVocab.length} tokens`);
  }
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const Vn = newVocab.length;
  const { source } = alignVocab(oldVocab, newVocab);
  // Mean over the vocabulary axis, accumulated in float64 so a 50k-token average stays exact to float32.
  const mean = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let v = 0; v < Vo; v++) {
      const from = (o * Vo + v) * inner;
      for (let i = 0; i < inner; i++) mean[o * inner + i]! += data[from + i]!;
    }
  }
  if (Vo > 0) for (let k = 0; k < mean.length; k++) mean[k]! /= Vo;
  const out = new Float32Array(outer * Vn * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < Vn; j++) {
      const to = (o * Vn + j) * inner;
      const s = source[j]!;
      if (s >= 0) out.set(data.subarray((o * Vo + s) * inner, (o * Vo + s + 1) * inner), to);
      else for (let i = 0; i < inner; i++) out[to + i] = mean[o * inner + i]!;
    }
  }
  return out;
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}
