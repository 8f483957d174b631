/**
 * Picks the fastest backend that loads on this machine and installs graft's kernels on it.
 *
 * auto order: tfjs-node-gpu, tfjs-node (both optional peers, usually absent), wasm, cpu. Each
 * failure is caught and recorded in `skipped`. A specific backend (opts.prefer or env
 * GRAFT_BACKEND) never falls back: if it cannot load, selectBackend throws naming it and why.
 */
import { relaxedSimd } from './kernels/relaxedSimd.ts';
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { backendError } from './errors.ts';
import { registerGraftKernels } from './kernels/registry.ts';
import { describeError, LOADERS } from './loaders.ts';
import {
  BACKEND_ORDER, TFJS_BACKEND_OF, type BackendInfo, type BackendName, type SelectBackendOptions,
  type SkippedBackend,
} from './types.ts';
import { defaultWasmThreads, parseThreads, wasmThreadsOf } from './wasmThreads.ts';
import { guardWasmMalloc } from './wasmMalloc.ts';
import type { WasmBackendLike } from './kernels/heap.ts';

const ALIASES: Record<string, BackendName | 'auto'> = {
  '': 'auto',
  auto: 'auto',
  'node-gpu': 'node-gpu',
  'tensorflow-gpu': 'node-gpu',
  'tfjs-node-gpu': 'node-gpu',
  gpu: 'node-gpu',
  node: 'node',
  tensorflow: 'node',
  'tfjs-node': 'node',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Parses a backend preference; unknown values throw rather than silently meaning 'auto'. */
export function parseBackendPreference(value: string, source: string): BackendName | 'auto' {
  const name = ALIASES[value.trim().toLowerCase()];
  if (name == null) {
    throw new GraftError(ErrorCodes.CONFIG, `${source}: unknown backend '${value.slice(0, 40)}'`, {
      expected: `one of auto, ${BACKEND_ORDER.join(', ')}`,
    });
  }
  return name;
}

/** Parses GRAFT_FAST_KERNELS-style switches: 0/false/off/no and 1/true/on/yes. */
export function parseSwitch(value: string, source: string): boolean {
  const v = value.trim().toLowerCase();
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  if (['', '1', 'true', 'on', 'yes'].includes(v)) return true;
  throw new GraftError(ErrorCodes.CONFIG, `${source}: expected 0/1/true/false/on/off, got '${value}'`);
}

/**
 * Reasons candidates failed in this process; a failed import is not retried (same outcome). wasm
 * is keyed with its thread count: the threaded build failing says nothing about the plain one.
 */
const failures = new Map<string, string>();

async function activate(name: BackendName, threads: number | undefined, defaultThreads = 1): Promise<void> {
  const key = name === 'wasm' && threads != null && threads > 1 ? `wasm:${threads}` : name;
  const known = failures.get(key);
  if (known != null) throw backendError(known);
  try {
    await LOADERS[name]({ threads, defaultThreads });
  } catch (err) {
    const reason = describeError(err);
    // A thread count that conflicts with the running backend is a usage error, not a broken backend.
    if (!/already running with/.test(reason)) failures.set(key, reason);
    // The reason is the message (it becomes `skipped`); a usage-class code (a thread conflict) is kept.
    throw new GraftError(err instanceof GraftError ? err.code : ErrorCodes.BACKEND, reason, { cause: err });
  }
}

/** Serialises calls: backend switching and kernel registration are process-global. */
let queue: Promise<unknown> = Promise.resolve();

/** What the last successful selectBackend chose (process-global, like tfjs's own backend). */
let lastSelected: BackendInfo | undefined;

/** The backend graft selected last, if tfjs is still running on it. */
export function selectedBackend(): BackendInfo | undefined {
  const active = tf.engine().backendName as string | null;
  return lastSelected != null && active === lastSelected.tfjsBackend ? lastSelected : undefined;
}

export function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  const run = queue.then(() => doSelect(opts)).then((info) => (lastSelected = info));
  queue = run.catch(() => undefined);
  return run;
}

async function doSelect(opts: SelectBackendOptions): Promise<BackendInfo> {
  const envPrefer = process.env.GRAFT_BACKEND;
  const prefer = opts.prefer != null
    ? parseBackendPreference(opts.prefer, 'selectBackend({prefer})')
    : envPrefer != null ? parseBackendPreference(envPrefer, 'GRAFT_BACKEND') : 'auto';
  const envFast = process.env.GRAFT_FAST_KERNELS;
  const fastKernels = opts.fastKernels ?? (envFast != null ? parseSwitch(envFast, 'GRAFT_FAST_KERNELS') : true);
  const envThreads = process.env.GRAFT_WASM_THREADS;
  const threads = opts.threads != null ? parseThreads(opts.threads, 'selectBackend({threads})')
    : envThreads != null && envThreads.trim() !== '' ? parseThreads(envThreads, 'GRAFT_WASM_THREADS') : undefined;
  // Threads only speed up graft's GEMM: with the stock kernels the single-threaded build is the default.
  const defaultThreads = fastKernels ? defaultWasmThreads() : 1;

  const skipped: SkippedBackend[] = [];
  let chosen: BackendName | undefined;
  if (prefer !== 'auto') {
    try {
      await activate(prefer, threads, defaultThreads);
    } catch (err) {
      // Asked for by name and not loadable: bad configuration (exit 2), never a silent fallback.
      throw new GraftError(ErrorCodes.CONFIG, `backend '${prefer}' could not be loaded: ${(err as Error).message}`, {
        hint: prefer === 'node' || prefer === 'node-gpu'
          ? `Install the optional peer (npm install @tensorflow/tfjs-${prefer === 'node' ? 'node' : 'node-gpu'}@${tf.version_core}) or choose auto`
          : 'Choose another backend, or auto',
        cause: err,
      });
    }
    chosen = prefer;
  } else {
    for (const name of BACKEND_ORDER) {
      try {
        await activate(name, threads, defaultThreads);
        chosen = name;
        break;
      } catch (err) {
        const reason = (err as Error).message;
        skipped.push({ name, reason });
        // Absent optional packages are expected; a present but broken one deserves a warning.
        if (!reason.startsWith('not installed')) {
          opts.logger?.warn(`graft: backend '${name}' is installed but failed to load: ${reason}`, { backend: name, reason });
        }
      }
    }
    if (chosen == null) {
      throw new GraftError(ErrorCodes.BACKEND, `no backend could be loaded: ${skipped.map(s => `${s.name}: ${s.reason}`).join('; ')}`);
    }
  }

  const tfjsBackend = tf.getBackend();
  if (tfjsBackend !== TFJS_BACKEND_OF[chosen]) {
    throw backendError(`graft: selected '${chosen}' but tfjs reports backend '${tfjsBackend}'`);
  }
  const kernels = registerGraftKernels(tfjsBackend, { fastKernels });
  const info: BackendInfo = { name: chosen, tfjsBackend, skipped, kernels };
  if (tfjsBackend === 'wasm') {
    guardWasmMalloc((tf.backend() as unknown as WasmBackendLike).wasm);
    info.threads = wasmThreadsOf(tf.backend());
    if (fastKernels) info.fma = relaxedSimd().reason;
  }
  // Absent optional peers are the usual case: named, not explained (the reasons are in the meta).
  const absent = skipped.filter(s => s.reason.startsWith('not installed')).map(s => s.name);
  const broken = skipped.filter(s => !s.reason.startsWith('not installed')).map(s => `${s.name}: ${s.reason}`);
  const notes = [...(absent.length > 0 ? [`${absent.join(', ')} not installed`] : []), ...broken.map(b => `skipped ${b}`)];
  const skippedText = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  opts.logger?.info(`graft: using backend '${chosen}'${skippedText}`, { ...info, fastKernels });
  return info;
}
