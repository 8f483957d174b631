/** graft's backend layer: backend selection and the kernels graft adds to tfjs. */
export { selectBackend, selectedBackend, parseBackendPreference } from './selectBackend.ts';
export { ensureBackend, BACKEND_PREFERENCES, type BackendPreference } from './ensureBackend.ts';
export { wrapWasmFactory } from './loaders.ts';
export { createThreadedWasmBackend, parseThreads, wasmThreadsOf, MAX_WASM_THREADS } from './wasmThreads.ts';
export {
  registerGraftKernels,
  unregisterGraftKernels,
  graftKernelNames,
  installedGraftKernels,
  GRAFT_KERNEL_SPECS,
  type RegisterKernelsOptions,
  type GraftKernelInfo,
} from './kernels/registry.ts';
export { CPU_BRIDGED_KERNELS } from './kernels/cpuFallback.ts';
export { fusedAdamw, type AdamwAttrs } from './fusedAdamw.ts';
export { fusedGelu } from './fusedGelu.ts';
export type { GraftKernelSpec } from './kernels/spec.ts';
export {
  BACKEND_ORDER,
  TFJS_BACKEND_OF,
  type BackendName,
  type BackendInfo,
  type BackendLogger,
  type KernelPurpose,
  type SelectBackendOptions,
  type SkippedBackend,
} from './types.ts';
