/**
 * GatherV2 (tf.gather: embedding lookups) for wasm as heap-to-heap copies of whole slices.
 *
 * tfjs-backend-wasm 4.22's C++ gather computes every element's position separately: gathering
 * 2,048 rows of 128 floats from a [96, 128] embedding measured 17.6 ms, a copy's worth of work.
 * Here each index copies its `sliceSize` elements as one run, all in one wasm call per outer block
 * (copyModule.ts: memory.copy), bytes as they are. Indices are checked as stock does, with its message.
 */
import { backend_util, GatherV2, util } from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { copyModuleOn } from './copyModule.ts';
import { heapOffset, isWasmBackend, wasmMemoryOf } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';
import { backendError } from '../errors.ts';

function gatherV2(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
  if (!isWasmBackend(backend) || indices.dtype !== 'int32' ||
    (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool')) {
    return runStock(stock, args);
  }
  const parsedAxis = util.parseAxisParam(axis, x.shape)[0];
  const axisDim = x.shape[parsedAxis];
  const info = backend_util.segment_util.collectGatherOpShapeInfo(x as never, indices as never, parsedAxis, batchDims);
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    const index = ids[i];
    if (!(index >= 0 && index <= axisDim - 1)) {
      throw backendError(`GatherV2: the index value ${index} is not in [0, ${axisDim - 1}]`);
    }
  }
  const out = backend.makeOutput(info.outputShape, x.dtype);
  if (util.sizeFromShape(info.outputShape) === 0) return out;
  const bytes = x.dtype === 'bool' ? 1 : 4;
  const gatherRows = copyModuleOn(wasmMemoryOf(backend)).gatherRows;
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = util.sizeFromShape(indices.shape) / batchSize;
  const row = sliceSize * bytes;
  const src = heapOffset(backend, x);
  const idx = heapOffset(backend, indices);
  let dst = heapOffset(backend, out);
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      gatherRows(perBatch, idx + b * perBatch * 4, row, src + (b * outerSize + o) * dimSize * row, dst);
      dst += perBatch * row;
    }
  }
  return out;
}

export const gatherV2Wasm: GraftKernelSpec = {
  kernelName: GatherV2,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: GatherV2, backendName: 'wasm', kernelFunc: asKernelFunc(args => gatherV2(args, stock)) }),
};
