/**
 * Cast for wasm that shares the input's data when the dtype does not change (as Identity does,
 * see Identity.ts for why sharing is safe). The gradients of mul, div and friends cast both
 * operands to float32 every time: 97 copies per reference-GPT step on stock wasm, ~15 ms.
 * Real conversions stay on the stock kernel.
 */
import { Cast } from '@tensorflow/tfjs-core';
import type { CastAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmBackend } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function cast(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as unknown as CastAttrs;
  if (!isWasmBackend(backend) || dtype !== x.dtype || x.dtype === 'string' || x.dtype === 'complex64') {
    return runStock(stock, args);
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

export const castWasm: GraftKernelSpec = {
  kernelName: Cast,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: Cast, backendName: 'wasm', kernelFunc: asKernelFunc(args => cast(args, stock)) }),
};
