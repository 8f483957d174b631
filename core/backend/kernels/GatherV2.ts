/**
 * GatherV2 (tf.gather: embedding lookups) for wasm as heap-to-heap copies of whole slices.
 *
 * tfjs-backend-wasm 4.22's C++ gather computes every element's position separately: gathering
 * 2,048 rows of 128 floats from a [96, 128] embedding measured 17.6 ms, a copy's worth of work.
 * Here each index copies its `sliceSize` elements as one run (copyWithin for long runs), as int32
 * / uint8 bit patterns. Indices are checked as stock does, with its message.
 */
import { backend_util, GatherV2, util } from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmBackend } from './heap.ts';
import { copyRun, elementIndex, heapElements } from './sliceImpl.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

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
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisDim - 1}]`);
    }
  }
  const out = backend.makeOutput(info.outputShape, x.dtype);
  if (util.sizeFromShape(info.outputShape) === 0) return out;
  // Views after the allocation (a malloc may grow the heap and detach older views).
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  const { heap, bytes } = heapElements(backend, x.dtype);
  const src = elementIndex(backend, x, bytes);
  let dst = elementIndex(backend, out, bytes);
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = idx.length / batchSize;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = src + (b * outerSize + o) * dimSize * sliceSize;
      for (let j = 0; j < perBatch; j++) {
        copyRun(heap, base + idx[b * perBatch + j]! * sliceSize, dst, sliceSize);
        dst += sliceSize;
      }
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
