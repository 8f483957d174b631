/**
 * Identity for wasm that shares the input's data instead of copying it, as tfjs-backend-cpu's
 * Identity and both backends' Reshape do: incRef the dataId and return it with the same shape.
 *
 * The engine clones every tensor a gradient saves through Identity (engine.clone), hundreds per
 * training step, each a full copy on stock wasm. Sharing is safe because shared tensor data is
 * never written in place: kernels write only outputs they allocate, Variable.assign swaps the
 * variable's dataId (disposing its reference to the old one) rather than overwriting memory, and
 * the one writer in place (`adamwInPlace`) writes only memory no other tensor holds (refCount 1),
 * so a clone taken before an update keeps the old values. Memory is freed when the last sharer is
 * disposed (BackendWasm.disposeData counts references). Strings stay on the stock kernel.
 */
import { Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmBackend } from './heap.ts';
import { asKernelFunc, runStock, type GraftKernelSpec, type KernelArgs } from './spec.ts';

function identity(args: KernelArgs, stock: KernelConfig | undefined): TensorInfo | TensorInfo[] {
  const { backend } = args;
  const { x } = args.inputs as { x: TensorInfo };
  if (!isWasmBackend(backend) || x.dtype === 'string') return runStock(stock, args);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

export const identityWasm: GraftKernelSpec = {
  kernelName: Identity,
  backendName: 'wasm',
  purpose: 'fast',
  create: stock => ({ kernelName: Identity, backendName: 'wasm', kernelFunc: asKernelFunc(args => identity(args, stock)) }),
};
