import type { GraftPlugin, PluginMeta, PluginState, TrainerApi } from '../../../core/index.ts';
import { totalSteps } from './totalSteps.ts';

/**
 * The wiring every scheduler shares: remember the optimizer's learning rate at setup as the peak,
 * and before each optimizer step set `learningRate = peak * multiplier(step, totalSteps)`.
 * Subclasses give only the multiplier, a pure function.
 */
export abstract class LrScheduler implements GraftPlugin {
  abstract readonly meta: PluginMeta;
  abstract readonly options: Readonly<Record<string, unknown>>;
  private peak: number | undefined;
  private total = 0;

  /** Multiplier of the peak learning rate at `step` (0-based) of `totalSteps`. */
  protected abstract multiplier(step: number, totalSteps: number): number;

  apply(trainer: TrainerApi): void {
    // At `optimizer`, after every `adapt` change: the optimizer's configured rate is the peak.
    trainer.tap('setup', this, () => {
      this.peak ??= trainer.role('optimizer').learningRate;
    }, { stage: 'optimizer' });
    trainer.tap('beforeRun', this, () => {
      this.total = this.totalStepsOf(trainer);
    });
    trainer.tap('beforeOptimizerStep', this, (ctx) => {
      const opt = trainer.role('optimizer');
      this.peak ??= opt.learningRate;
      if (this.total <= 0) this.total = this.totalStepsOf(trainer);
      opt.learningRate = this.peak * this.multiplier(ctx.state.step, this.total);
    });
  }

  private totalStepsOf(trainer: TrainerApi): number {
    const override = this.options.totalSteps;
    return totalSteps({
      override: typeof override === 'number' ? override : 0,
      maxSteps: trainer.state.maxSteps,
      epochs: trainer.state.maxEpochs,
      batchesPerEpoch: trainer.role('dataset').numBatches('train'),
    });
  }

  /** The peak learning rate (the optimizer's rate at setup), once known. */
  get peakLr(): number | undefined {
    return this.peak;
  }

  /** The learning rate this scheduler gives at `step` of `totalSteps` (needs the peak). */
  lrAt(step: number, totalSteps: number): number {
    return (this.peak ?? NaN) * this.multiplier(step, totalSteps);
  }

  getState(): PluginState {
    return { json: { peakLr: this.peak ?? null } };
  }

  setState(state: PluginState): void {
    const peak = (state.json as { peakLr?: number | null } | undefined)?.peakLr;
    if (typeof peak === 'number') this.peak = peak;
  }
}
