import * as tf from '@tensorflow/tfjs-core';
import { isWasmBackend } from './kernels/heap.ts';
import { poolCountersOf, type PoolStats } from './kernels/gemmThreads.ts';

/** What graft's wasm thread pool has done since it started (see PoolCounters in kernels/gemmThreads.ts). */
export type ThreadPoolStats = PoolStats;

/**
 * Counters of graft's thread pool on the active wasm backend: rounds shared out, their tasks, and
 * the milliseconds the main thread waited for helper threads. Null when there is no pool (one
 * thread, another backend, or nothing shared out yet). Take two readings and subtract them to see
 * what a stretch of training did: a wait that is a large share of the step means the helpers are
 * starved of a core (another process, a noisy VM) and fewer threads may do as well.
 */
export function threadPoolStats(): ThreadPoolStats | null {
  const backend = tf.backend();
  return isWasmBackend(backend) ? poolCountersOf(backend) : null;
}
