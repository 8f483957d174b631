/**
 * bench/lib/hookDispatch.ts: it calls every per-step hook's taps, in the trainer's order, once per
 * step (warm-up included), and a promise from an afterStep tap is an error (the measurement is of
 * the synchronous path).
 */
import test from 'ava';
import { TrainerHooks } from '../../core/index.ts';
import { tapHook } from '../../core/hooks/tapHook.ts';
import { hookDispatchUs } from '../../bench/lib/hookDispatch.ts';

const STEP_HOOKS = ['beforeStep', 'transformBatch', 'afterForward', 'onLoss', 'afterBackward', 'beforeOptimizerStep', 'afterOptimizerStep', 'afterStep', 'shouldStop'] as const;

test('every step hook is called once a step, in the trainer order', (t) => {
  const hooks = new TrainerHooks();
  const calls: string[] = [];
  const counts: Record<string, number> = {};
  for (const name of STEP_HOOKS) {
    tapHook(hooks, name, 'callback:count', ((x: unknown) => {
      // The first step's order.
      if (calls.length < STEP_HOOKS.length) calls.push(name);
      counts[name] = (counts[name] ?? 0) + 1;
      return name === 'shouldStop' ? undefined : x;
    }) as never);
  }
  const us = hookDispatchUs(hooks, 400);
  t.deepEqual(calls, [...STEP_HOOKS]);
  // 400 timed steps after 100 warm-up steps.
  for (const name of STEP_HOOKS) t.is(counts[name], 500, name);
  t.true(us > 0 && Number.isFinite(us));
});

test('an afterStep tap returning a promise is an error', (t) => {
  const hooks = new TrainerHooks();
  tapHook(hooks, 'afterStep', 'callback:async', (async () => {}) as never);
  t.throws(() => hookDispatchUs(hooks, 4), { message: /returned a promise/ });
});
