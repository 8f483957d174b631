/**
 * Loading and activating each backend candidate. Every loader either leaves tfjs running on its
 * backend or throws an Error whose message is the reason (used verbatim in `skipped`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './types.ts';

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
    throw new Error(`${specifier} loaded but registered no 'tensorflow' backend with graft's ` +
      `@tensorflow/tfjs-core ${tf.version_core} (a second, mismatched tfjs-core install?)`);
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new Error(`${specifier} loaded but its 'tensorflow' backend failed to initialise`);
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
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, { factory: () => unknown; priority: number } | undefined>;
    pendingBackendInit?: unknown;
    backendName?: string | null;
  };
  const entry = engine.registryFactory['wasm'];
  // Already initialised (or initialising): too late to wrap; loadWasm cleans up afterwards.
  if (entry == null || engine.registry['wasm'] != null ||
      (engine.backendName === 'wasm' && engine.pendingBackendInit != null)) return;
  const original = entry.factory;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    const before = snapshotListeners();
    try {
      return (await original()) as tf.KernelBackend;
    } catch (err) {
      lastWasmInitError = err;
      throw err;
    } finally {
      removeListenersAddedSince(before);
    }
  }, entry.priority);
  wasmFactoryWrapped = true;
}

async function loadWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  wrapWasmFactory();
  lastWasmInitError = undefined;
  if (!(await tf.setBackend('wasm'))) {
    const why = lastWasmInitError != null ? describeError(lastWasmInitError) : 'initialisation failed';
    throw new Error(`wasm backend failed to initialise: ${why}`);
  }
  // If someone initialised wasm before graft wrapped the factory, its listeners are still there.
  removeEmscriptenListeners();
}

// --- cpu ---------------------------------------------------------------------------------------

async function loadCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
  // tfjs prints an "install tfjs-node" banner on the cpu backend's first write; graft's own log
  // already says which faster backends were tried and why they were skipped.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

export const LOADERS: Record<BackendName, () => Promise<void>> = {
  'node-gpu': () => loadTfjsNode('node-gpu'),
  node: () => loadTfjsNode('node'),
  wasm: loadWasm,
  cpu: loadCpu,
};
