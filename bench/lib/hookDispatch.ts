import type { TrainerHooks } from '../../core/index.ts';
import { runSeries } from '../../core/hooks/tapHook.ts';

/**
 * Microseconds a step that calling the trainer's nine per-step hooks costs, with the taps
 * registered on `hooks` (the bench's no-op plugins; no tensors, nothing else of a step): the hook
 * machinery alone, without the trainer's own per-step work that the trainer-vs-bare comparison
 * also counts. The same calls as Trainer.runStep makes, in its order.
 */
export function hookDispatchUs(hooks: TrainerHooks, iterations = 200_000): number {
  const ctx = {} as never;
  const step = (): void => {
    hooks.beforeStep.call(ctx);
    hooks.transformBatch.call(ctx, ctx);
    hooks.afterForward.call(ctx, ctx);
    hooks.onLoss.call(ctx, ctx);
    hooks.afterBackward.call(ctx, ctx);
    hooks.beforeOptimizerStep.call(ctx);
    hooks.afterOptimizerStep.call(ctx);
    const after = runSeries(hooks.afterStep, ctx);
    if (after) throw new Error('bench: a no-op afterStep tap returned a promise');
    hooks.shouldStop.call(ctx);
  };
  // Warm-up: tapable compiles each hook's call function on first use, V8 optimises the loop.
  for (let i = 0; i < iterations / 4; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) step();
  return ((performance.now() - t0) * 1000) / iterations;
}
