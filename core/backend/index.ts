/**
 * graft's backend layer, its own entry point ('graftml/backend'): backend selection, the kernels
 * graft adds to tfjs (wasm modules, thread pool, fused ops). It imports nothing from the rest of core
 * but core/errors; the rest of core reaches it only through this file. 'graftml' re-exports what a
 * user or plugin author needs to pick a backend (selectBackend, ensureBackend and their types).
 */
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
export { adamwInPlace, fusedAdamw, type AdamwAttrs } from './fusedAdamw.ts';
export { sgdInPlace, type SgdAttrs } from './sgdInPlace.ts';
export { fusedGelu } from './fusedGelu.ts';
export { fusedLayerNorm } from './fusedLayerNorm.ts';
export { denseMatMul } from './denseMatMul.ts';
export { gradientsRecorded } from './gradientsRecorded.ts';
export { fusedLstm } from './fusedLstm.ts';
export { canFuseCausalAttention, fusedCausalAttention } from './fusedCausalAttention.ts';
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
export { simdCeiling, type SimdCeiling } from './simdCeiling.ts';
export { readScalar } from './readScalar.ts';
export { threadPoolStats, type ThreadPoolStats } from './threadPoolStats.ts';
