/** Shared helpers for the backend tests (not a test file: ava only runs *.test.ts). */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { ExecutionContext } from 'ava';
import { ParameterStore, type OptimizerPlugin, type StepContext } from '../../../core/index.ts';
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

/**
 * An in-place writer must drop XNNPACK's packed copy of what it rewrote: the stock wasm Conv2D keeps
 * an operator with the filter packed, keyed by the filter's id. `rewrite(filter, grad)` steps the
 * [3, 3, 3, 4] filter in place and returns whether it did; the convolution after it must see the
 * new values.
 */
export function assertPackedFilterDropped(t: ExecutionContext, rewrite: (filter: tf.Variable, grad: tf.Tensor) => boolean): void {
  const read = (x: tf.Tensor) => Array.from(x.dataSync());
  const rand = prng(3);
  const x = tf.tensor4d(randomValues(rand, 1 * 6 * 6 * 3), [1, 6, 6, 3]);
  const w = tf.tidy(() => tf.variable(tf.tensor4d(randomValues(rand, 3 * 3 * 3 * 4), [3, 3, 3, 4]), false));
  const conv = (f: tf.Tensor4D) => tf.tidy(() => read(tf.conv2d(x, f, 1, 'same')));
  const first = conv(w as tf.Tensor4D);
  t.deepEqual(conv(w as tf.Tensor4D), first, 'cached operator reused');
  const g = tf.tidy(() => tf.tensor4d(randomValues(rand, 3 * 3 * 3 * 4), [3, 3, 3, 4]));
  t.true(rewrite(w, g));
  // A copy of the new filter (a new id, so a freshly packed operator) is the reference.
  const fresh = tf.tidy(() => tf.add(w, 0) as tf.Tensor4D);
  const expected = conv(fresh);
  t.notDeepEqual(expected, first, 'the step changed the result');
  t.deepEqual(conv(w as tf.Tensor4D), expected, 'the filter variable gives the new result');
  tf.dispose([x, w, g, fresh]);
}

/**
 * Four steps of a fresh optimizer over a store of three parameters (one without decay), with
 * random gradients from a fixed seed. `hold`: a clone of every parameter is held over each step
 * (it must keep its values: checked), which forces an in-place optimizer onto its allocating path.
 * Returns the final parameters and optimizer state, numTensors after each step, kernels plus new
 * tensors each step made (`tf.profile`), and how many parameter-steps kept their memory.
 */
export async function optimizerSteps(t: ExecutionContext, opt: OptimizerPlugin & { dispose(): void }, hold: boolean) {
  const read = (x: tf.Tensor) => Array.from(x.dataSync());
  const store = new ParameterStore();
  const seeded = prng(11);
  store.create('a.w', [4, 5], randomValues(seeded, 20, 1), { decay: true, owner: 'test' });
  store.create('a.b', [5], randomValues(seeded, 5, 1), { decay: false, owner: 'test' });
  store.create('c.w', [33], randomValues(seeded, 33, 1), { decay: true, owner: 'test' });
  const ctx = { trainer: { params: store } } as unknown as StepContext;
  const orig = store.names().map((n) => store.get(n).dataId);
  const rand = prng(5);
  const counts: number[] = [];
  const kernels: number[] = [];
  let kept = 0;
  for (let s = 0; s < 4; s++) {
    const held = hold ? store.names().map((n) => tf.clone(store.get(n))) : [];
    const heldBefore = held.map(read);
    const grads: Record<string, tf.Tensor> = {};
    for (const n of store.names()) grads[n] = tf.tensor(randomValues(rand, store.get(n).size, 0.1), store.get(n).shape);
    const profile = await tf.profile(() => opt.step(grads, ctx));
    kernels.push(profile.kernels.length + profile.newTensors);
    tf.dispose(Object.values(grads));
    held.forEach((x, i) => t.deepEqual(read(x), heldBefore[i], 'a held snapshot keeps its values'));
    kept += store.names().filter((n, i) => store.get(n).dataId === orig[i]).length;
    tf.dispose(held);
    counts.push(tf.memory().numTensors);
  }
  const params = store.names().map((n) => read(store.get(n)));
  const state = Object.fromEntries(Object.entries(opt.getState?.()?.tensors ?? {}).map(([k, x]) => [k, read(x)]));
  opt.dispose();
  store.dispose();
  return { params, state, counts, kernels, kept };
}
