/**
 * Runs graft's GEMM on several threads of a threaded wasm backend (shared memory): the main thread
 * plus helper workers (gemmWorker.cjs), each with its own instance of the GEMM module on the same
 * memory. A product is planned as tasks (an output region each: a whole product, or a range of its
 * rows), each a list of raw `gemm` calls run in order by one thread (k-blocks accumulate).
 *
 * Tasks are claimed, not assigned: the main thread takes unclaimed tasks from the front of the
 * round, the helpers from the back, until the two ends meet. On a shared machine a helper may wake
 * late or not get a core at all; the main thread then simply does the work itself, never slower
 * than on its own (plus a wake-up). A claim is a compare-and-swap on one word holding the round's
 * tag and both ends, so a helper still finishing an old round can never claim tasks of a new one.
 *
 * Why from both ends: tasks are planned in row order, so the main thread computes the first rows
 * of every threaded kernel and the helpers the last ones, round after round: a [tokens, width]
 * output stays in the cache of the core that wrote it for the next kernel over the same rows (a
 * dense layer's output, then attention's heads over the same sequences, then the next product).
 * With one shared counter the threads took alternate tasks, and a kernel read about half its rows
 * from the other core's cache: the reference GPT's step on 2 threads ran 0.96-0.98x the time with
 * both ends (core/backend/README.md, "Threads", has the measurements).
 *
 * Results are bit-identical to one thread: every output element is still one running sum in
 * increasing k, computed by one thread.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { gemmModuleBytes, gemmModuleOn, type GemmFn, type TransposeFn } from './gemmModule.ts';
import type { SoftmaxCausalFn, SoftmaxCausalGradFn } from './causalSoftmaxModule.ts';
import { wasmThreadsOf } from '../wasmThreads.ts';
import { wasmMemoryOf, type WasmBackendLike, type WasmMemoryLike } from './heap.ts';
import { backendError } from '../errors.ts';

/**
 * Control words, then task starts (call index of each task, plus one past the last), then calls.
 * GEN: round number (bumped to wake helpers); NEXT: the claims, (round & 0x3ff) << 22 | front << 11
 * | back (the main thread's next task from the front, and one past the helpers' next from the back);
 * FINISHED: tasks done this round; ERROR: a helper that trapped.
 * A call is STRIDE int32 words: its function's arguments (a float32 as its bits), then its KIND.
 */
const LAYOUT = { GEN: 0, NEXT: 1, FINISHED: 2, ERROR: 4, HEADER: 8, STRIDE: 13, KIND: 12 };

/**
 * What a call runs, by KIND: a function of the module every thread instantiates
 * (`gemmModuleBytes`), and its argument types ('i' int32, 'f' float32). gemmWorker.cjs gets this
 * table, so a new kind needs no change there.
 */
export const POOL_FUNCS = [
  ['gemm', 'iiiiiiiiiiii'],
  ['softmaxCausal', 'iiifii'],
  ['softmaxCausalGrad', 'iiiifi'],
  ['gelu', 'iiii'],
  ['geluGrad', 'iiiii'],
  ['exp', 'iii'],
  ['transpose', 'iiiiiii'],
  ['biasRows', 'iiiii'],
] as const;
type PoolFunc = (typeof POOL_FUNCS)[number][0];
// A call's arguments must fit before its KIND word.
for (const [name, types] of POOL_FUNCS) if (types.length > LAYOUT.KIND) throw backendError(`graft pool: ${name} takes more than ${LAYOUT.KIND} arguments`);
const KIND_OF = Object.fromEntries(POOL_FUNCS.map(([name], kind) => [name, kind])) as Record<PoolFunc, number>;

/** Tasks and calls per round; longer plans run in several rounds (tasks: at most 2047, the claim word's 11 bits an end). */
const MAX_TASKS = 1024;
const MAX_CALLS = 4096;
const CALLS_AT = LAYOUT.HEADER + MAX_TASKS + 1;

/** Tasks of module calls, recorded for a pool to run. */
export class GemmPlan {
  readonly calls = new Int32Array(MAX_CALLS * LAYOUT.STRIDE);
  /** starts[t]: index of task t's first call; starts[tasks] = calls. */
  readonly starts = new Int32Array(MAX_TASKS + 1);
  tasks = 0;
  count = 0;

  /** `flush` runs and empties the plan (when it is full, and at the end). */
  constructor(private readonly flush: (plan: GemmPlan) => void) {}

  /** Starts a task: the calls recorded until the next one run in order on one thread. */
  task(): void {
    if (this.tasks === MAX_TASKS || this.count > MAX_CALLS - 64) this.flush(this);
    this.starts[this.tasks++] = this.count;
  }

  private readonly callsF32 = new Float32Array(this.calls.buffer);

  /** Word offset of a new call of the current task. */
  private next(kind: number): number {
    if (this.count === MAX_CALLS) {
      // A task longer than a round: run what precedes it, then continue it as a new task (rounds
      // run one after another, so its calls keep their order).
      this.flush(this);
      this.starts[this.tasks++] = 0;
    }
    const o = this.count++ * LAYOUT.STRIDE;
    this.calls[o + LAYOUT.KIND] = kind;
    return o;
  }

  /** Records a call of `name` (one of POOL_FUNCS) in the current task. */
  call(name: PoolFunc, ...args: number[]): void {
    const kind = KIND_OF[name];
    const types = POOL_FUNCS[kind]![1];
    if (args.length !== types.length) throw backendError(`graft pool: ${name} takes ${types.length} arguments, got ${args.length}`);
    const o = this.next(kind);
    for (let i = 0; i < types.length; i++) {
      if (types[i] === 'f') this.callsF32[o + i] = args[i]!;
      else this.calls[o + i] = args[i]!;
    }
  }

  /** A GemmFn that records a call of the current task instead of running it. */
  readonly record: GemmFn = (m, n, k, a, sam, sak, b, sbk, c, scm, accumulate, ranges = 0) => {
    const o = this.next(KIND_OF.gemm);
    const v = this.calls;
    v[o] = m; v[o + 1] = n; v[o + 2] = k; v[o + 3] = a; v[o + 4] = sam; v[o + 5] = sak;
    v[o + 6] = b; v[o + 7] = sbk; v[o + 8] = c; v[o + 9] = scm; v[o + 10] = accumulate; v[o + 11] = ranges;
  };

  /** transpose (gemmModule.ts), recorded. */
  readonly recordTranspose: TransposeFn = (batch, rows, cols, src, dst, dstStride, srcStride) =>
    this.call('transpose', batch, rows, cols, src, dst, dstStride, srcStride);

  /** softmaxCausal (causalSoftmaxModule.ts), recorded. */
  readonly recordSoftmaxCausal: SoftmaxCausalFn = (heads, T, p, scale, mask, pd) => this.call('softmaxCausal', heads, T, p, scale, mask, pd);

  /** softmaxCausalGrad, recorded. */
  readonly recordSoftmaxCausalGrad: SoftmaxCausalGradFn = (heads, T, p, dp, scale, mask) =>
    this.call('softmaxCausalGrad', heads, T, p, dp, scale, mask);

  /** Runs what is left. */
  finish(): void {
    if (this.tasks > 0) this.flush(this);
  }
}

/** The module's functions by call kind (gemmWorker.cjs builds the same). */
function poolFunctions(exports: Record<string, unknown>): ((...args: number[]) => void)[] {
  return POOL_FUNCS.map(([name]) => exports[name] as (...args: number[]) => void);
}

/** Runs call `i` of the control block (gemmWorker.cjs mirrors it). */
function runCall(ctrl: Int32Array, ctrlF: Float32Array, i: number, fns: ((...args: number[]) => void)[]): void {
  const o = CALLS_AT + i * LAYOUT.STRIDE;
  const kind = ctrl[o + LAYOUT.KIND]!;
  if (kind === 0) {
    fns[0]!(ctrl[o]!, ctrl[o + 1]!, ctrl[o + 2]!, ctrl[o + 3]!, ctrl[o + 4]!, ctrl[o + 5]!, ctrl[o + 6]!, ctrl[o + 7]!,
      ctrl[o + 8]!, ctrl[o + 9]!, ctrl[o + 10]!, ctrl[o + 11]!);
    return;
  }
  const types = POOL_FUNCS[kind]![1];
  const args = new Array<number>(types.length);
  for (let j = 0; j < types.length; j++) args[j] = types[j] === 'f' ? ctrlF[o + j]! : ctrl[o + j]!;
  fns[kind]!(...args);
}

/** The claim word of a new round: its tag, front 0 and back `tasks` (at most MAX_TASKS: 11 bits each end). */
function claimWord(round: number, tasks: number): number {
  return ((round & 0x3ff) << 22) | tasks;
}

/**
 * Claims tasks of round `round` from the front and runs their calls until the ends meet (the main
 * thread's side; gemmWorker.cjs claims from the back).
 */
function claimAndRun(ctrl: Int32Array, ctrlF: Float32Array, round: number, fns: ((...args: number[]) => void)[]): void {
  const { NEXT, FINISHED, HEADER } = LAYOUT;
  const tag = round & 0x3ff;
  for (;;) {
    const cur = Atomics.load(ctrl, NEXT);
    if (cur >>> 22 !== tag) return;
    const t = (cur >>> 11) & 0x7ff;
    if (t >= (cur & 0x7ff)) return;
    if (Atomics.compareExchange(ctrl, NEXT, cur, cur + (1 << 11)) !== cur) continue;
    const end = ctrl[HEADER + t + 1]!;
    for (let i = ctrl[HEADER + t]!; i < end; i++) runCall(ctrl, ctrlF, i, fns);
    Atomics.add(ctrl, FINISHED, 1);
    Atomics.notify(ctrl, FINISHED);
  }
}

/**
 * Counters of a pool since it started (`threadPoolStats` in core/backend): rounds (a product or a
 * shared-out kernel each), their tasks, and the time the main thread waited for helpers after it
 * found no task left to claim. The wait is what threading loses to helpers that start late or run
 * slower (a busy machine, data in the other core's cache); measured on the reference GPT at 2
 * threads: 5-9 ms of a ~170 ms step, 14-24 ms in the VM's slow phases.
 */
export interface PoolCounters {
  rounds: number;
  tasks: number;
  /** Of `tasks`, those the helpers ran (claimed from the back). */
  helperTasks: number;
  mainWaitMs: number;
}

export class GemmPool {
  readonly counters: PoolCounters = { rounds: 0, tasks: 0, helperTasks: 0, mainWaitMs: 0 };
  private readonly control = new SharedArrayBuffer((CALLS_AT + MAX_CALLS * LAYOUT.STRIDE) * 4);
  private readonly ctrl = new Int32Array(this.control);
  private readonly ctrlF = new Float32Array(this.control);
  private readonly workers: Worker[] = [];
  private readonly fns: ((...args: number[]) => void)[];
  private round = 0;
  /** The one plan of this pool (kernels run one at a time). */
  readonly plan = new GemmPlan(p => this.run(p));

  constructor(memory: WasmMemoryLike, readonly threads: number) {
    this.fns = poolFunctions(gemmModuleOn(memory).exports);
    const bytes = gemmModuleBytes(true);
    const file = fileURLToPath(new URL('./gemmWorker.cjs', import.meta.url));
    const layout = { ...LAYOUT, CALLS_AT, funcs: POOL_FUNCS };
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(file, { workerData: { bytes, memory, control: this.control, layout } });
      // Asleep in Atomics.wait between products: it must not keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Runs `plan`'s tasks on this thread and any helper that wakes in time, and waits for all. */
  run(plan: GemmPlan): void {
    const { ctrl } = this;
    const { GEN, NEXT, FINISHED, ERROR, HEADER, STRIDE } = LAYOUT;
    const tasks = plan.tasks;
    plan.starts[tasks] = plan.count;
    ctrl.set(plan.starts.subarray(0, tasks + 1), HEADER);
    ctrl.set(plan.calls.subarray(0, plan.count * STRIDE), CALLS_AT);
    Atomics.store(ctrl, FINISHED, 0);
    const round = ++this.round;
    Atomics.store(ctrl, NEXT, claimWord(round, tasks));
    Atomics.store(ctrl, GEN, round);
    if (tasks > 1) Atomics.notify(ctrl, GEN);
    claimAndRun(ctrl, this.ctrlF, round, this.fns);
    // Two clock reads a round (~0.1 µs): the wait is worth knowing on a shared machine.
    const waitFrom = performance.now();
    for (;;) {
      const done = Atomics.load(ctrl, FINISHED);
      if (done >= tasks) break;
      Atomics.wait(ctrl, FINISHED, done, 1000);
    }
    const c = this.counters;
    c.rounds++;
    c.tasks += tasks;
    c.mainWaitMs += performance.now() - waitFrom;
    // The ends met: tasks from the back end on were the helpers'.
    c.helperTasks += tasks - (Atomics.load(ctrl, NEXT) & 0x7ff);
    plan.tasks = 0;
    plan.count = 0;
    const failed = Atomics.exchange(ctrl, ERROR, 0);
    if (failed !== 0) throw backendError('graft gemm: a helper thread trapped');
  }
}

const pools = new WeakMap<object, GemmPool>();

/** The pool for a shared wasm memory, with `threads` threads in all (created once per memory). */
export function gemmPoolOn(memory: WasmMemoryLike, threads: number): GemmPool {
  let pool = pools.get(memory);
  if (pool == null) {
    pool = new GemmPool(memory, threads);
    pools.set(memory, pool);
  }
  return pool;
}

/** A pool's counters with its thread count (the calling thread included). */
export interface PoolStats extends PoolCounters {
  threads: number;
}

/** The counters of the pool on `backend`'s memory (a copy), with its thread count; null if it has none (one thread, not wasm, or nothing shared out yet). */
export function poolCountersOf(backend: WasmBackendLike): PoolStats | null {
  const pool = pools.get(wasmMemoryOf(backend));
  return pool == null ? null : { threads: pool.threads, ...pool.counters };
}

/** Threads graft's GEMM may use on `backend`: its thread count on a shared-memory (threaded) build, else 1. */
export function gemmThreadsOf(backend: WasmBackendLike): number {
  const threads = wasmThreadsOf(backend);
  if (threads <= 1) return 1;
  const shared = typeof SharedArrayBuffer !== 'undefined' && wasmMemoryOf(backend).buffer instanceof SharedArrayBuffer;
  return shared ? threads : 1;
}

/**
 * The smallest task of an element-wise kernel shared out, in elements: ~10-20 µs of work, well
 * above what claiming a task costs. Tensors under two of them stay on the calling thread.
 */
export const CHUNK = 1 << 14;

/**
 * Runs `each(plan, start, count)` over elements [0, n): when the backend has several threads and
 * n is at least two `minChunk`s, in about four chunks per thread (at least `minChunk` elements, a
 * multiple of 4, the SIMD width), one task each on the pool's threads (`plan` given: record the
 * call on it); else once here over all of n (`plan` null: call the module directly). Four per
 * thread, not two: a helper woken late (tens to hundreds of µs on a busy VM) still finds work.
 * Each element is computed by one call with the same operations, so neither the thread count nor
 * the chunks change a result.
 */
export function forChunks(backend: WasmBackendLike, n: number, minChunk: number, each: (plan: GemmPlan | null, start: number, count: number) => void): void {
  const threads = gemmThreadsOf(backend);
  if (threads <= 1 || n < 2 * minChunk) {
    each(null, 0, n);
    return;
  }
  const plan = gemmPoolOn(wasmMemoryOf(backend), threads).plan;
  const chunk = Math.max(minChunk, Math.ceil(n / (4 * threads) / 4) * 4);
  for (let i = 0; i < n; i += chunk) {
    plan.task();
    each(plan, i, Math.min(chunk, n - i));
  }
  plan.finish();
}
