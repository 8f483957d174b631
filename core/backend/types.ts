/** Friendly names of the execution backends graft can run on. */
export type BackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';

/** The order `auto` tries candidates in: fastest first, always-available last. */
export const BACKEND_ORDER: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** The tfjs backend name each friendly name registers under (both tfjs-node packages use 'tensorflow'). */
export const TFJS_BACKEND_OF: Readonly<Record<BackendName, string>> = {
  'node-gpu': 'tensorflow',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Minimal structured logger; matches winston's and console-like loggers. */
export interface BackendLogger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
}

export interface SelectBackendOptions {
  /** Backend to use. Defaults to env GRAFT_BACKEND, else 'auto'. A specific name never falls back. */
  prefer?: BackendName | 'auto';
  logger?: BackendLogger;
  /**
   * Register graft's faster replacement kernels (default true; env GRAFT_FAST_KERNELS=0 turns them
   * off). Kernels that are missing or wrong in the stock backend are registered regardless.
   */
  fastKernels?: boolean;
  /**
   * wasm only: threads of graft's GEMM, main thread included (1..8; default env GRAFT_WASM_THREADS,
   * else one per core up to 4, 1 with fastKernels false; 1 is tfjs's single-threaded build). Above 1 graft loads tfjs's threaded SIMD build itself, since
   * tfjs disables threads under Node (see wasmThreads.ts). Fixed once wasm has initialised.
   */
  threads?: number;
}

export interface SkippedBackend {
  name: BackendName;
  reason: string;
}

export interface BackendInfo {
  name: BackendName;
  /** What tf.getBackend() reports after selection ('tensorflow' | 'wasm' | 'cpu'). */
  tfjsBackend: string;
  /** Candidates tried before `name` and why each could not be used (auto mode only). */
  skipped: SkippedBackend[];
  /** Names of the kernels graft registered or overrode on the chosen backend. */
  kernels: string[];
  /** wasm only: threads its XNNPACK pool runs on (1 = single-threaded). */
  threads?: number;
  /** wasm with graft's kernels only: whether the GEMM uses relaxed SIMD multiply-add, and why (GRAFT_WASM_FMA). */
  fma?: string;
}

/** Why graft registers a kernel: 'missing' and 'fix' are always on, 'fast' obeys fastKernels. */
export type KernelPurpose = 'missing' | 'fix' | 'fast';
