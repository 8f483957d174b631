/** Shared helpers for the backend tests (not a test file: ava only runs *.test.ts). */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { ExecutionContext } from 'ava';
import type { ParameterStore } from '../../../core/index.ts';
import { registerGraftKernels, selectBackend, unregisterGraftKernels, wrapWasmFactory } from '../../../core/backend/index.ts';

export type Variant = 'wasm-graft' | 'wasm-stock' | 'cpu-graft' | 'cpu-stock';

export interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomValues(rand: () => number, n: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * scale;
  return v;
}

export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Initialises wasm once (with graft's listener hygiene) so tests can switch backends freely. With
 * GRAFT_WASM_THREADS set, through selectBackend, so the kernel tests run on the threaded build.
 */
export async function initBackends(): Promise<void> {
  if (process.env.GRAFT_WASM_THREADS) {
    await selectBackend({ prefer: 'wasm', fastKernels: true });
  } else {
    wrapWasmFactory();
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/**
 * Runs `f` on one backend with graft's kernels on or off and returns plain data. Inputs must be
 * created inside `f` (from plain arrays), so every variant sees identical values. Leaves the
 * 'fast' kernels installed on wasm and none on cpu, the state the stock-cpu reference needs.
 */
export async function run(variant: Variant, f: () => tf.Tensor): Promise<Result> {
  return (await runAll(variant, () => [f()]))[0];
}

/** `run` for ops with several outputs (unstack, split): one Result per output, in order. */
export async function runAll(variant: Variant, f: () => tf.Tensor[]): Promise<Result[]> {
  const [backend, mode] = variant.split('-') as ['wasm' | 'cpu', 'graft' | 'stock'];
  await tf.setBackend(backend);
  if (mode === 'graft') registerGraftKernels(backend, { fastKernels: true });
  else if (backend === 'cpu') unregisterGraftKernels('cpu');
  else registerGraftKernels('wasm', { fastKernels: false });
  try {
    const outs = tf.tidy(f);
    const results = outs.map(out => ({ shape: out.shape.slice(), dtype: out.dtype, values: Array.from(out.dataSync()) }));
    tf.dispose(outs);
    return results;
  } finally {
    unregisterGraftKernels('cpu');
    registerGraftKernels('wasm', { fastKernels: true });
  }
}

/** Asserts same shape/dtype and values within atol + rtol*|expected| (NaN must match NaN). */
export function assertClose(
  t: ExecutionContext, actual: Result, expected: Result, what: string, atol = 1e-5, rtol = 1e-5,
): void {
  t.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  t.is(actual.dtype, expected.dtype, `${what}: dtype`);
  t.is(actual.values.length, expected.values.length, `${what}: size`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i];
    const e = expected.values[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (!(Number.isNaN(e) && Number.isNaN(a))) { worst = i; break; }
      continue;
    }
    if (a === e) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    t.fail(`${what}: element ${worst} is ${actual.values[worst]}, expected ${expected.values[worst]}`);
  } else {
    t.pass();
  }
}

/**
 * A stand-in ParameterStore holding exactly `tensors` (the functional layers only `read` and ask
 * `has`), so a layer can run on tensors a test made or a gradient function was given.
 */
export function storeOf(tensors: Record<string, tf.Tensor>): ParameterStore {
  return { read: (n: string) => tensors[n]!, has: (n: string) => n in tensors } as unknown as ParameterStore;
}

/** Live tensors on the engine and data ids on the active backend (catches leaks in kernels). */
export function liveCounts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
}
