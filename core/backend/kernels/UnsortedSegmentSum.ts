/**
 * UnsortedSegmentSum as a scatter-add, O(input size).
 *
 * wasm: tfjs-backend-wasm 4.22 has no such kernel, and the gradient of gather (every embedding
 * layer) needs it, so without this kernel training on wasm throws.
 * cpu: the stock kernel builds an equal/cast/multiply/sum chain per segment, O(numSegments x input),
 * which takes seconds per step at a 30k vocabulary.
 *
 * Semantics follow tfjs: ids < 0 or >= numSegments contribute nothing; the output is
 * [numSegments, ...x.shape.slice(segmentIds.rank)] (for rank-1 ids, as every tfjs caller passes,
 * this is the stock shape; for higher-rank ids it is TensorFlow's, not the stock cpu kernel's).
 */
import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { allocOutput, view } from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendAssert, backendError } from '../errors.ts';

function unsortedSegmentSum(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = args.attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    if (stock != null) return runStock(stock, args);
    throw backendError(`UnsortedSegmentSum: dtype ${x.dtype} is not supported (float32, int32 are)`);
  }
  backendAssert(Number.isInteger(numSegments) && numSegments >= 0,
    () => `UnsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}`);
  const idRank = segmentIds.shape.length;
  backendAssert(idRank <= x.shape.length && segmentIds.shape.every((d, i) => d === x.shape[i]),
    () => `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of ` +
      `x shape [${x.shape}]`);
  const innerShape = x.shape.slice(idRank);
  const inner = util.sizeFromShape(innerShape);
  const numIds = util.sizeFromShape(segmentIds.shape);

  const out = allocOutput(backend, [numSegments, ...innerShape], x.dtype);
  // Views only after the allocation: on wasm a malloc can move the heap.
  const o = view(backend, out);
  o.fill(0);
  if (inner === 0 || numIds === 0 || numSegments === 0) return out;
  const xs = view(backend, x);
  const ids = view(backend, segmentIds);
  for (let i = 0; i < numIds; i++) {
    const s = ids[i];
    if (!(s >= 0 && s < numSegments) || s !== Math.floor(s)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) o[dst + k] += xs[src + k];
  }
  return out;
}

function spec(backendName: 'wasm' | 'cpu', purpose: GraftKernelSpec['purpose']): GraftKernelSpec {
  return {
    kernelName: UnsortedSegmentSum,
    backendName,
    purpose,
    create: stock => ({
      kernelName: UnsortedSegmentSum,
      backendName,
      kernelFunc: asKernelFunc(args => unsortedSegmentSum(args, stock)),
    }),
  };
}

export const unsortedSegmentSumWasm = spec('wasm', 'missing');
export const unsortedSegmentSumCpu = spec('cpu', 'fast');
