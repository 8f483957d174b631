/**
 * Runs graft's GEMM on several threads of a threaded wasm backend (shared memory): the main thread
 * plus helper workers (gemmWorker.cjs), each with its own instance of the GEMM module on the same
 * memory. A product is planned as a list of raw `gemm` calls, each tagged with the thread that runs
 * it; calls on one output region stay on one thread, in order (k-blocks accumulate).
 *
 * Results are bit-identical to one thread: every output element is still one running sum in
 * increasing k, computed by one thread.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { gemmModuleBytes, gemmOn, type GemmFn } from './gemmModule.ts';
import { wasmThreadsOf } from '../wasmThreads.ts';
import { wasmMemoryOf, type WasmBackendLike, type WasmMemoryLike } from './heap.ts';

const LAYOUT = { GEN: 0, DONE: 1, COUNT: 2, STOP: 3, ERROR: 4, HEADER: 5, STRIDE: 12 };
/** Calls per round; longer plans run in several rounds. */
const CAPACITY = 4096;

/** A plan of gemm calls, each tagged with a thread (0 = the calling thread). */
export class GemmPlan {
  readonly calls: Int32Array = new Int32Array(CAPACITY * LAYOUT.STRIDE);
  count = 0;
  /** The thread the next recorded calls go to. */
  thread = 0;

  /** `flush` runs and empties the plan (when it is full, and at the end). */
  constructor(private readonly flush: (plan: GemmPlan) => void) {}

  /** A GemmFn that records calls for the current `thread` instead of running them. */
  readonly record: GemmFn = (m, n, k, a, sam, sak, b, sbk, c, scm, accumulate) => {
    // Rounds run one after another, so a region's calls stay in order across a flush.
    if (this.count === CAPACITY) this.flush(this);
    const o = this.count++ * LAYOUT.STRIDE;
    const v = this.calls;
    v[o] = this.thread; v[o + 1] = m; v[o + 2] = n; v[o + 3] = k; v[o + 4] = a; v[o + 5] = sam; v[o + 6] = sak;
    v[o + 7] = b; v[o + 8] = sbk; v[o + 9] = c; v[o + 10] = scm; v[o + 11] = accumulate;
  };

  /** Runs what is left. */
  finish(): void {
    if (this.count > 0) this.flush(this);
  }
}

export class GemmPool {
  private readonly control = new SharedArrayBuffer((LAYOUT.HEADER + CAPACITY * LAYOUT.STRIDE) * 4);
  private readonly ctrl = new Int32Array(this.control);
  private readonly workers: Worker[] = [];
  private readonly gemm: GemmFn;
  /** The one plan of this pool (kernels run one at a time). */
  readonly plan = new GemmPlan(p => this.run(p));

  constructor(memory: WasmMemoryLike, readonly threads: number) {
    this.gemm = gemmOn(memory);
    const bytes = gemmModuleBytes(true);
    const file = fileURLToPath(new URL('./gemmWorker.cjs', import.meta.url));
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(file, { workerData: { bytes, memory, control: this.control, index, layout: LAYOUT } });
      // Asleep in Atomics.wait between products: it must not keep the process alive.
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Runs `plan`'s calls (thread 0's here, the others' on the workers) and waits for all. */
  run(plan: GemmPlan): void {
    const { ctrl } = this;
    const { GEN, DONE, COUNT, ERROR, HEADER, STRIDE } = LAYOUT;
    const n = plan.count;
    ctrl.set(plan.calls.subarray(0, n * STRIDE), HEADER);
    ctrl[COUNT] = n;
    Atomics.store(ctrl, DONE, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    const v = plan.calls;
    const gemm = this.gemm;
    for (let i = 0; i < n; i++) {
      const o = i * STRIDE;
      if (v[o] !== 0) continue;
      gemm(v[o + 1]!, v[o + 2]!, v[o + 3]!, v[o + 4]!, v[o + 5]!, v[o + 6]!, v[o + 7]!, v[o + 8]!, v[o + 9]!, v[o + 10]!, v[o + 11]!);
    }
    const helpers = this.workers.length;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= helpers) break;
      Atomics.wait(ctrl, DONE, done, 1000);
    }
    plan.count = 0;
    const failed = Atomics.exchange(ctrl, ERROR, 0);
    if (failed !== 0) throw new Error(`graft gemm: helper thread ${failed} trapped`);
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

/** Threads graft's GEMM may use on `backend`: its thread count on a shared-memory (threaded) build, else 1. */
export function gemmThreadsOf(backend: WasmBackendLike): number {
  const threads = wasmThreadsOf(backend);
  if (threads <= 1) return 1;
  const shared = typeof SharedArrayBuffer !== 'undefined' && wasmMemoryOf(backend).buffer instanceof SharedArrayBuffer;
  return shared ? threads : 1;
}
