import type { StepContext, Trainer } from '../../core/index.ts';

/**
 * Run `fn` at the end of `afterStep`, after every plugin's taps (stage `last` included): a raw
 * tapable tap past the last named stage, so a checkpoint saved there holds all of this step.
 */
export function atEndOfStep(tr: Trainer, name: string, fn: (ctx: StepContext) => Promise<void>): void {
  tr.hooks.afterStep.tapPromise({ name, stage: 1e9 } as never, fn);
}
