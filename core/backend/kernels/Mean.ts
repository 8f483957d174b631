/**
 * Mean over leading/middle axes without a transpose: same layout analysis and row accumulation as
 * Sum (see Sum.ts), scaled by 1/count. Used by mean pooling over a sequence axis and by batch
 * statistics; the stock wasm kernel transposes the reduced axes to the end first. float32 input
 * only (stock casts other dtypes); innermost reductions stay on the stock kernel.
 */
import { backend_util, Mean, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, MeanAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { allocOutput, view } from './heap.ts';
import { reduceTensorRows, reductionBlock } from './reduceImpl.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function mean(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as MeanAttrs;
  if (x.dtype !== 'float32') return runStock(stock, args);
  const axes = util.parseAxisParam(axis, x.shape);
  const block = reductionBlock(x.shape, axes);
  const emptyReduction = axes.some(a => x.shape[a] === 0);
  if (!emptyReduction && (block == null || block.inner === 1)) return runStock(stock, args);

  let [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  if (keepDims) outShape = backend_util.expandShapeToKeepDim(outShape, axes);
  const out = allocOutput(backend, outShape, 'float32');
  const o = view(backend, out);
  if (emptyReduction || block == null) {
    // tfjs-backend-cpu returns 0 for a mean over nothing (TensorFlow: NaN); stock wasm returns
    // uninitialised memory. Match cpu so results do not depend on the backend.
    o.fill(0);
    return out;
  }
  const { outer, reduce, inner } = block;
  if (outer * inner === 0) return out;
  reduceTensorRows(backend, x, out, outer, reduce, inner, 1 / reduce);
  return out;
}

function spec(backendName: 'wasm' | 'cpu'): GraftKernelSpec {
  return {
    kernelName: Mean,
    backendName,
    purpose: 'fast',
    create: stock => ({ kernelName: Mean, backendName, kernelFunc: asKernelFunc(args => mean(args, stock)) }),
  };
}

export const meanWasm = spec('wasm');
export const meanCpu = spec('cpu');
