/**
 * The training loop's yield (core/trainer/yieldToEventLoop.ts) lets the event loop run when its
 * check phase has not run for YIELD_MS, counting any turn it got, not only the loop's own yields.
 */
import test from 'ava';
import { YIELD_MS, yieldToEventLoop } from '../../core/trainer/yieldToEventLoop.ts';

const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const timer = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

test.serial('no yield right after the event loop ran; a yield once it has not run for YIELD_MS', async (t) => {
  yieldToEventLoop();
  await turn();
  t.is(yieldToEventLoop(), undefined);
  busy(YIELD_MS + 20);
  const y = yieldToEventLoop();
  t.true(y instanceof Promise);
  await y;
  t.is(yieldToEventLoop(), undefined, 'the yield itself counts as a turn');
});

test.serial('a turn the loop got elsewhere resets the clock; a microtask or a timer is not such a turn', async (t) => {
  yieldToEventLoop();
  busy(YIELD_MS + 20);
  // Synchronous work past YIELD_MS, then the caller awaits a setImmediate: the loop ran its poll
  // and check phases, no yield is due.
  await turn();
  t.is(yieldToEventLoop(), undefined);
  // A resolved promise is not a turn of the loop.
  busy(YIELD_MS + 20);
  await Promise.resolve();
  t.true(yieldToEventLoop() instanceof Promise);
  await turn();
  // A timer's callback runs before the poll phase: I/O callbacks (a signal's) are still waiting.
  busy(YIELD_MS + 20);
  await timer();
  t.true(yieldToEventLoop() instanceof Promise);
});
