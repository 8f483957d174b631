/**
 * Loading and activating each backend candidate. Every loader either leaves tfjs running on its
 * backend or throws an Error whose message is the reason (used verbatim in `skipped`); graft's own
 * are GraftErrors (`GRAFT_ERR_BACKEND`, or `GRAFT_ERR_CONFIG` for a thread count asked for too late).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend } from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { backendError } from './errors.ts';
import type { BackendName } from './types.ts';
import { createThreadedWasmBackend, wasmThreadsOf } from './wasmThreads.ts';

/** First line of an error message, bounded, for compact "why skipped" reasons. */
export function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string } | undefined;
  const raw = (e?.message ?? String(err)).trim();
  const firstLine = raw.split('\n')[0];
  const msg = firstLine.length > 300 ? `${firstLine.slice(0, 300)}...` : firstLine;
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return `not installed (${msg})`;
  return msg;
}

// --- tfjs-node / tfjs-node-gpu ---------------------------------------------------------------

const NODE_PACKAGES: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

async function loadTfjsNode(name: 'node-gpu' | 'node'): Promise<void> {
  // A string variable keeps TypeScript from requiring the optional peer dependency's types.
  const specifier: string = NODE_PACKAGES[name];
  // Throws ERR_MODULE_NOT_FOUND when absent, or a native error when libtensorflow/CUDA can't load.
  await import(specifier);
  if (tf.findBackendFactory('tensorflow') == null) {
    throw backendError(`${specifier} loaded but registered no 'tensorflow' backend with graft's ` +
      `@tensorflow/tfjs-core ${tf.version_core} (a second, mismatched tfjs-core install?)`);
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw backendError(`${specifier} loaded but its 'tensorflow' backend failed to initialise`);
  }
}

// --- wasm --------------------------------------------------------------------------------------

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ListenerSnapshot = Record<(typeof PROCESS_EVENTS)[number], Function[]>;

function snapshotListeners(): ListenerSnapshot {
  return {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
}

/**
 * Removes emscripten's listeners added since `before`. Both conditions: a listener some other code
 * (e.g. a logger's crash handler) adds while wasm initialises must survive.
 */
function removeListenersAddedSince(before: ListenerSnapshot): number {
  let removed = 0;
  for (const event of PROCESS_EVENTS) {
    for (const fn of process.listeners(event as 'uncaughtException')) {
      if (!before[event].includes(fn) && isEmscriptenListener(fn)) {
        process.removeListener(event as 'uncaughtException', fn as NodeJS.UncaughtExceptionListener);
        removed++;
      }
    }
  }
  return removed;
}

/**
 * Recognises emscripten's Node listeners by their source: `function(ex){ if (!(ex instanceof
 * ExitStatus)) throw ex; }` and `function(reason){ throw reason; }`. Used only when the wasm
 * backend was initialised before graft could wrap its factory.
 */
function isEmscriptenListener(fn: Function): boolean {
  const src = Function.prototype.toString.call(fn).replace(/\s+/g, ' ');
  return /instanceof ExitStatus\)\) ?\{? ?throw ex/.test(src) ||
    /^(?:function ?)?\(?reason\)? ?(?:=> ?)?\{ ?throw reason;? ?\}$/.test(src);
}

function removeEmscriptenListeners(): number {
  let removed = 0;
  for (const event of PROCESS_EVENTS) {
    for (const fn of process.listeners(event as 'uncaughtException')) {
      if (isEmscriptenListener(fn)) {
        process.removeListener(event as 'uncaughtException', fn as NodeJS.UncaughtExceptionListener);
        removed++;
      }
    }
  }
  return removed;
}

let wasmFactoryWrapped = false;
let lastWasmInitError: unknown;
/** tfjs's own wasm factory, wrapped; restored when threads go back to 1. */
let stockWasmFactory: { factory: () => Promise<KernelBackend>; priority: number } | undefined;
/** Threads of the factory graft registered under 'wasm' (1: tfjs's own). */
let wasmFactoryThreads = 1;

/** Runs a wasm backend factory with emscripten's listener clean-up and error capture. */
function withListenerHygiene(create: () => Promise<KernelBackend>): () => Promise<KernelBackend> {
  return async () => {
    const before = snapshotListeners();
    try {
      return await create();
    } catch (err) {
      lastWasmInitError = err;
      throw err;
    } finally {
      removeListenersAddedSince(before);
    }
  };
}

type WasmEngine = {
  registry: Record<string, KernelBackend | undefined>;
  registryFactory: Record<string, { factory: () => unknown; priority: number } | undefined>;
  pendingBackendInit?: unknown;
  backendName?: string | null;
};

/**
 * Keeps crashes readable. When the wasm backend initialises, its emscripten module adds process
 * 'uncaughtException' and 'unhandledRejection' listeners that rethrow; Node then reports every
 * later crash, ours included, at the rethrow site and prints that source line: the whole ~40 kB
 * minified tfjs-backend-wasm.js, before the real error. graft re-registers the 'wasm' factory
 * (same priority) so that any initialisation, via selectBackend, tf.setBackend or tf.ready,
 * removes the listeners emscripten added during it; every other listener is kept. Backend errors
 * still surface normally as thrown errors / rejected promises.
 */
export function wrapWasmFactory(): void {
  if (wasmFactoryWrapped) return;
  const engine = tf.engine() as unknown as WasmEngine;
  const entry = engine.registryFactory['wasm'];
  // Already initialised (or initialising): too late to wrap; loadWasm cleans up afterwards.
  if (entry == null || wasmStarted(engine)) return;
  const original = entry.factory;
  const factory = withListenerHygiene(async () => (await original()) as KernelBackend);
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, entry.priority);
  stockWasmFactory = { factory, priority: entry.priority };
  wasmFactoryWrapped = true;
}

function wasmStarted(engine: WasmEngine): boolean {
  return engine.registry['wasm'] != null || (engine.backendName === 'wasm' && engine.pendingBackendInit != null);
}

/**
 * Registers the 'wasm' factory for `threads` (1: tfjs's own, else graft's threaded loader, see
 * wasmThreads.ts) before the backend first initialises. Afterwards the count is fixed: a different
 * explicit request throws rather than silently running with another count.
 */
function useWasmThreads(threads: number | undefined): void {
  const engine = tf.engine() as unknown as WasmEngine;
  const running = engine.registry['wasm'];
  if (running != null || wasmStarted(engine)) {
    const actual = running != null ? wasmThreadsOf(running) : wasmFactoryThreads;
    if (threads != null && threads !== actual) {
      throw new GraftError(ErrorCodes.CONFIG, `the wasm backend is already running with ${actual} thread(s); the thread count can only ` +
        'be chosen before it first initialises (the first selectBackend({ threads }) or GRAFT_WASM_THREADS)');
    }
    return;
  }
  wrapWasmFactory();
  const want = threads ?? 1;
  if (want === wasmFactoryThreads) return;
  const priority = engine.registryFactory['wasm']?.priority ?? stockWasmFactory?.priority ?? 2;
  if (want === 1 && stockWasmFactory == null) throw backendError('tfjs wasm backend factory not found');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', want === 1 ? stockWasmFactory!.factory
    : withListenerHygiene(() => createThreadedWasmBackend(want)), priority);
  wasmFactoryThreads = want;
}

async function loadWasm(threads?: number, defaultThreads = 1): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  const engine = tf.engine() as unknown as WasmEngine;
  const fresh = engine.registry['wasm'] == null && !wasmStarted(engine);
  // The default applies only to a backend not yet started (else: whatever is running).
  useWasmThreads(threads ?? (fresh && defaultThreads > 1 ? defaultThreads : undefined));
  lastWasmInitError = undefined;
  if (!(await tf.setBackend('wasm')) && threads == null && fresh && defaultThreads > 1) {
    // The threaded build was only a default: fall back to tfjs's single-threaded one.
    tf.removeBackend('wasm');
    useWasmThreads(1);
  }
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    const why = lastWasmInitError != null ? describeError(lastWasmInitError) : 'initialisation failed';
    throw backendError(`wasm backend failed to initialise: ${why}`, { cause: lastWasmInitError });
  }
  // If someone initialised wasm before graft wrapped the factory, its listeners are still there.
  removeEmscriptenListeners();
}

// --- cpu ---------------------------------------------------------------------------------------

async function loadCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw backendError('cpu backend failed to initialise');
  // tfjs prints an "install tfjs-node" banner on the cpu backend's first write; graft's own log
  // already says which faster backends were tried and why they were skipped.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

export interface LoadOptions {
  /** wasm only: threads (undefined: whatever is running, else `defaultThreads`). */
  threads?: number;
  /** wasm only: threads when none are asked for and wasm has not started (1 if the threaded build fails to load). */
  defaultThreads?: number;
}

export const LOADERS: Record<BackendName, (opts: LoadOptions) => Promise<void>> = {
  'node-gpu': () => loadTfjsNode('node-gpu'),
  node: () => loadTfjsNode('node'),
  wasm: opts => loadWasm(opts.threads, opts.defaultThreads),
  cpu: loadCpu,
};
