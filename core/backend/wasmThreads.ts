/**
 * Multithreaded wasm backend for Node (default `defaultWasmThreads()`; `selectBackend({ threads })`, env GRAFT_WASM_THREADS).
 *
 * What runs on the threads: graft's GEMM (every matmul and dense layer, kernels/gemmThreads.ts),
 * on the main thread plus threads - 1 helpers that sleep between products. XNNPACK's own pool,
 * which tfjs uses for its other kernels (elementwise ops, softmax), is kept at 1 thread: those
 * kernels are small and memory-bound, and the pool's threads spin-wait after each one. Measured on
 * this shared 2-core machine (load average ~4): with a 2-thread pool, softmax on [64,128,128]
 * 1.9 -> 3.2 ms, sigmoid and neg on [2048,512] up to 6x slower, CPU per call 2-4x; with 1 it
 * matched the single-threaded build. The GEMM needs the threaded build for its shared memory.
 *
 * tfjs-backend-wasm 4.22 turns threads off under Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is
 * false there), and forcing the flag on does not work: tfjs starts the pthread workers from a
 * blob: URL, which Node's Worker rejects (ERR_WORKER_PATH). graft loads the package's threaded
 * SIMD build itself instead, the way tfjs's own init() does, with three Node-specific changes:
 *
 * 1. Workers start from wasmThreadWorker.cjs, a file that runs tfjs's worker script, and the main
 *    script is given by path (workers read it with fs).
 * 2. The C++ side caps the XNNPACK thread pool at half of emscripten_num_logical_cores (it assumes
 *    two hyperthreads per core). The one wasm import behind it (`require("os").cpus().length`)
 *    reports 2 x threads instead, so the pool could have up to `threads` (graft asks for 1).
 * 3. Pool threads are long-lived pthreads, i.e. ref'ed worker_threads that keep Node running after
 *    the program is done. They are unref'ed once the pool exists. They only ever run while the
 *    main thread waits for them inside a kernel, so a process can never exit mid-computation.
 *
 * Results are bit-identical to one thread: the GEMM splits work by output rows or whole products,
 * each output computed by one thread in the same order. Memory: the threaded build uses a SharedArrayBuffer-backed heap,
 * which grows without detaching old views; `HEAPU8` is made an accessor that always returns a view
 * of the current buffer, so no kernel can read or write through a stale, too-short view.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelBackend } from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { backendError } from './errors.ts';

const require = createRequire(import.meta.url);

/** The bit of the WebAssembly JS API used here (graft's tsconfig has no DOM / WebAssembly lib). */
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: unknown; module: unknown }>;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** XNNPACK's pool in tfjs-backend-wasm 4.22 is capped at 8 threads (its pre-created worker count). */
export const MAX_WASM_THREADS = 8;

/**
 * Threads of the wasm backend when none are asked for: one per core, at most 4 (measured on 2
 * cores only: 2 threads ran the GPT reference step about 2x faster on a quiet machine and no slower
 * with the other core busy, since helpers claim work rather than being given it; beyond 2, not
 * measured). 1 without SharedArrayBuffer.
 */
export function defaultWasmThreads(): number {
  if (typeof SharedArrayBuffer === 'undefined') return 1;
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** Parses a thread count (GRAFT_WASM_THREADS / selectBackend({threads})): an integer 1..8. */
export function parseThreads(value: string | number, source: string): number {
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new GraftError(ErrorCodes.CONFIG, `${source}: expected a whole number of threads from 1 to ${MAX_WASM_THREADS}, got '${value}'`);
  }
  return n;
}

interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
  wasmMemory: { buffer: ArrayBufferLike };
  HEAPU8: Uint8Array;
  PThread: { runningWorkers: { unref(): void }[] };
  tfjs?: Record<string, (...args: unknown[]) => unknown>;
}

type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** Keeps `module.HEAPU8` a view of the current (possibly grown) shared heap. */
function freshHeapViews(module: ThreadedModule): void {
  let view = module.HEAPU8;
  Object.defineProperty(module, 'HEAPU8', {
    configurable: true,
    enumerable: true,
    get: () => (view.buffer === module.wasmMemory.buffer ? view : (view = new Uint8Array(module.wasmMemory.buffer))),
    set: (v: Uint8Array) => { view = v; },
  });
}

/**
 * Creates a tfjs wasm backend (tfjs's own BackendWasm class, so every registered wasm kernel runs
 * on it) backed by the threaded SIMD build with `threads` threads (the main thread included).
 */
export async function createThreadedWasmBackend(threads: number): Promise<KernelBackend> {
  parseThreads(threads, 'wasm threads');
  const jsPath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const dir = dirname(jsPath);
  const workerPath = fileURLToPath(new URL('./wasmThreadWorker.cjs', import.meta.url));
  const factory = require(jsPath) as ThreadedFactory;
  const { BackendWasm, setThreadsCount, getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');

  // A failed instantiation must reject (emscripten would wait for it forever).
  let failInit: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => { failInit = reject; });
  const config: Record<string, unknown> & { PThread?: PthreadPool } = {
    locateFile: (file: string) => (file.endsWith('.worker.js') ? workerPath : join(dir, file)),
    mainScriptUrlOrBlob: jsPath,
    instantiateWasm: (info: { env: Record<string, unknown> }, receive: (instance: unknown, module: unknown) => void) => {
      const cores = Object.keys(info.env).filter(k =>
        typeof info.env[k] === 'function' && /cpus\(\)\.length/.test(Function.prototype.toString.call(info.env[k])));
      if (cores.length !== 1) {
        throw backendError('graft: this tfjs-backend-wasm build has no recognisable emscripten_num_logical_cores import ' +
          '(threads were written for 4.22)');
      }
      info.env[cores[0]] = () => 2 * threads;
      trimPthreadPool(config.PThread);
      const binary = readFileSync(join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'));
      webAssembly.instantiate(binary, info).then(r => receive(r.instance, r.module), failInit);
      return {};
    },
  };
  let module: ThreadedModule;
  try {
    module = await Promise.race([factory(config), failed]);
  } catch (err) {
    // The pre-started pool workers would otherwise keep the process alive.
    config.PThread?.terminateAllThreads();
    throw err;
  }
  freshHeapViews(module);
  // The same bridge tfjs's init() builds.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(XNNPACK_POOL_THREADS);
  const backend = new BackendWasm(module as never);
  const actual = getThreadsCount();
  if (actual !== XNNPACK_POOL_THREADS) {
    backend.dispose();
    throw backendError(`graft: asked the wasm thread pool for ${XNNPACK_POOL_THREADS} thread(s), it has ${actual}`);
  }
  graftThreads.set(backend, threads);
  for (const worker of module.PThread.runningWorkers) worker.unref();
  return backend;
}

/** The part of emscripten's PThread object used here. */
interface PthreadPool {
  unusedWorkers?: { terminate(): void }[];
  terminateAllThreads(): void;
}

/**
 * emscripten's glue starts 8 pthread workers before the module is ready and waits for each to load
 * the wasm module (1.5 s of a 2-thread backend's 1.7 s start here, measured). XNNPACK's pool runs
 * on the calling thread alone (XNNPACK_POOL_THREADS = 1) and graft's GEMM helpers are workers of
 * their own, so no pthread ever runs (checked: none after init and kernels); any asked for later
 * gets a worker made on demand (emscripten's getNewWorker). One is kept: the glue calls back
 * "module ready" from the last worker's load, so with none it never would (measured: a hang).
 * Called from instantiateWasm, before the workers load the module.
 */
const KEEP_PTHREAD_WORKERS = 1;
function trimPthreadPool(pthread: PthreadPool | undefined): void {
  const unused = pthread?.unusedWorkers;
  if (!Array.isArray(unused)) {
    throw backendError('graft: this tfjs-backend-wasm build has no emscripten PThread.unusedWorkers (threads were written for 4.22)');
  }
  for (const worker of unused.splice(KEEP_PTHREAD_WORKERS)) worker.terminate();
}

/** XNNPACK's pool size on graft's threaded backend (see the top of this file). */
const XNNPACK_POOL_THREADS = 1;

/** Thread counts of the threaded backends created here. */
const graftThreads = new WeakMap<KernelBackend, number>();

/** Threads of the wasm backend instance (1 for tfjs's single-threaded builds). */
export function wasmThreadsOf(backend: KernelBackend): number {
  const own = graftThreads.get(backend);
  if (own != null) return own;
  const wasm = (backend as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm;
  const n = wasm?.tfjs?.getThreadsCount?.();
  return typeof n === 'number' && n > 0 ? n : 1;
}
