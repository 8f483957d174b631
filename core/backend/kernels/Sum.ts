/**
 * Sum over leading/middle axes without a transpose.
 *
 * The stock wasm (and cpu) Sum first transposes the reduced axes to the end, then reduces rows;
 * for the leading-axis sums that dominate training (bias and broadcast gradients: sum(dy, 0))
 * the transpose costs several times the reduction. When the reduced axes form one contiguous
 * block followed by kept axes ([outer, reduce, inner], inner > 1) this kernel accumulates whole
 * rows into a float64 scratch row instead (measured 1.5-6x faster than stock on wasm, 20-50x on
 * cpu). Innermost reductions, other layouts and other dtypes
 * stay on the stock kernel, which handles those well.
 */
import { backend_util, Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { allocOutput, view } from './heap.ts';
import { runStock, asKernelFunc, type GraftKernelSpec, type KernelArgs } from './spec.ts';

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

function sum(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return runStock(stock, args);
  const axes = util.parseAxisParam(axis, x.shape);
  const block = reductionBlock(x.shape, axes);
  // inner === 1: contiguous innermost reduction, already fast in the stock kernel.
  if (block == null || block.inner === 1) return runStock(stock, args);
  const { outer, reduce, inner } = block;

  let [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  if (keepDims) outShape = backend_util.expandShapeToKeepDim(outShape, axes);
  const out = allocOutput(backend, outShape, x.dtype);
  const o = view(backend, out);
  if (outer * inner === 0) return out;
  if (reduce === 0) {
    o.fill(0);
    return out;
  }
  const xs = view(backend, x);
  // float64 accumulator row; rows are added eight at a time, which cuts the accumulator
  // loads/stores per input element 8x (measured 2.5-4x faster than one row at a time).
  const acc = new Float64Array(inner);
  const stride = inner;
  for (let p = 0; p < outer; p++) {
    acc.fill(0);
    const start = p * reduce * inner;
    let r = 0;
    for (; r + 8 <= reduce; r += 8) {
      const b = start + r * stride;
      for (let i = 0; i < inner; i++) {
        const j = b + i;
        acc[i] += ((xs[j] + xs[j + stride]) + (xs[j + 2 * stride] + xs[j + 3 * stride])) +
          ((xs[j + 4 * stride] + xs[j + 5 * stride]) + (xs[j + 6 * stride] + xs[j + 7 * stride]));
      }
    }
    for (; r < reduce; r++) {
      const b = start + r * stride;
      for (let i = 0; i < inner; i++) acc[i] += xs[b + i];
    }
    o.set(acc, p * inner);
  }
  return out;
}

function spec(backendName: 'wasm' | 'cpu'): GraftKernelSpec {
  return {
    kernelName: Sum,
    backendName,
    purpose: 'fast',
    create: stock => ({ kernelName: Sum, backendName, kernelFunc: asKernelFunc(args => sum(args, stock)) }),
  };
}

export const sumWasm = spec('wasm');
export const sumCpu = spec('cpu');
