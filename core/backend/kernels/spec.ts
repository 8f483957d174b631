import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelPurpose } from '../types.ts';
import { backendError } from '../errors.ts';

/** One graft kernel for one backend; `create` receives the stock kernel it replaces (if any). */
export interface GraftKernelSpec {
  kernelName: string;
  backendName: 'wasm' | 'cpu';
  purpose: KernelPurpose;
  create(stock: KernelConfig | undefined): KernelConfig;
}

/** KernelFunc's argument with the backend typed (tfjs-core declares it as `{}`). */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs?: NamedAttrMap;
}

export function asKernelFunc(f: (args: KernelArgs) => TensorInfo | TensorInfo[]): KernelFunc {
  return f as unknown as KernelFunc;
}

/** A kernel graft adds to wasm (not a tfjs kernel it replaces): its name and function, for the fast kernel set. */
export function ownWasmKernel(kernelName: string, f: (args: KernelArgs) => TensorInfo | TensorInfo[]): GraftKernelSpec {
  return {
    kernelName,
    backendName: 'wasm',
    purpose: 'fast',
    create: (): KernelConfig => ({ kernelName, backendName: 'wasm', kernelFunc: asKernelFunc(f) }),
  };
}

const setupDone = new WeakMap<KernelConfig, WeakSet<object>>();

/**
 * Runs the stock kernel a graft kernel replaced, for the cases graft leaves to it. Once a stock
 * kernel is unregistered the engine no longer calls its setupFunc (which cwraps its wasm entry
 * point) on setBackend, so graft calls it once per backend instance itself.
 */
export function runStock(stock: KernelConfig | undefined, args: KernelArgs): TensorInfo | TensorInfo[] {
  if (stock == null) throw backendError('graft kernels: no stock kernel to fall back to');
  if (stock.setupFunc != null) {
    let done = setupDone.get(stock);
    if (done == null) setupDone.set(stock, done = new WeakSet());
    if (!done.has(args.backend)) {
      stock.setupFunc(args.backend);
      done.add(args.backend);
    }
  }
  return stock.kernelFunc(args);
}
