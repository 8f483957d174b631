/**
 * A step's awaits resolve at once when no tap does I/O, so a loop of steps would never let the
 * event loop run: a signal handler (Ctrl-C asking to stop after the current step), timers and I/O
 * callbacks waited for the next checkpoint write or the end of the run. Every YIELD_MS the loop
 * lets them run (one setImmediate). Not more often: a yield costs ~0.1 ms, and on 2 wasm threads
 * the step after it ~0.25 ms more (none on 1 thread; why is not established: the main thread's
 * idle moment may make the helpers' next wake-ups slower; bench/README, hookOverhead), so at 50 ms
 * the tiny GPT paid ~0.7 % of its time; at 200 ms ~0.2 %, and Ctrl-C still answers within a fifth
 * of a second.
 * Trainers fitting at once in one process take turns at every await (with or without this); each
 * one's numbers are unchanged (test/core/eventLoop.test.ts), but `tf.memory()` counts them all.
 */
export const YIELD_MS = 200;
let lastYield = performance.now();
export function yieldToEventLoop(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastYield < YIELD_MS) return undefined;
  lastYield = now;
  return new Promise((resolve) => setImmediate(resolve));
}
