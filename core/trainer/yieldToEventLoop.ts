/**
 * A step's awaits resolve at once when no tap does I/O, so a loop of steps would never let the
 * event loop run: a signal handler (Ctrl-C asking to stop after the current step), timers and I/O
 * callbacks waited for the next checkpoint write or the end of the run. When the event loop has
 * not run for YIELD_MS, the loop lets it (one setImmediate). Not more often: a yield costs ~0.1 ms,
 * and on 2 wasm threads the step after it ~0.25 ms more (none on 1 thread; why is not established:
 * the main thread's idle moment may make the helpers' next wake-ups slower; bench/README,
 * hookOverhead), so at 50 ms the tiny GPT paid ~0.7 % of its time; at 200 ms ~0.2 %, and Ctrl-C
 * still answers within a fifth of a second.
 * The clock is the time since the event loop last ran its check phase (setImmediate callbacks,
 * which come right after the poll phase: I/O, signals), not since the last yield of ours: a
 * heartbeat (one setImmediate, scheduled again only after it ran) notes every such turn, whoever
 * gave it: another trainer's yield, a tap awaiting a setImmediate, the caller between fit() calls.
 * A continuation that runs inside the poll or timers phase (an awaited read, a timer) is not such a
 * turn: the loop has not finished its I/O callbacks yet, so the clock goes on.
 * Trainers fitting at once in one process take turns at every await (with or without this); each
 * one's numbers are unchanged (test/core/eventLoop.test.ts), but `tf.memory()` counts them all.
 */
export const YIELD_MS = 200;
let lastTurn = performance.now();
let heartbeatPending = false;
function heartbeat(): void {
  heartbeatPending = false;
  lastTurn = performance.now();
}

/** A promise to await when the event loop has not run for YIELD_MS; undefined otherwise (awaiting undefined would still cost a microtask turn). */
export function yieldToEventLoop(): Promise<void> | undefined {
  if (!heartbeatPending) {
    heartbeatPending = true;
    setImmediate(heartbeat);
  }
  if (performance.now() - lastTurn < YIELD_MS) return undefined;
  // Queued after the heartbeat, which therefore notes this turn before the loop continues.
  return new Promise((resolve) => setImmediate(resolve));
}
