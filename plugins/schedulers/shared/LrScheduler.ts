import { ErrorCodes, GraftError, type GraftPlugin, type PluginMeta, type TrainerApi } from '../../../core/index.ts';
import { totalSteps } from './totalSteps.ts';

/**
 * The wiring every scheduler shares: before each optimizer step, hand the optimizer
 * `multiplier(step, totalSteps)` through `setLearningRateMultiplier`; the optimizer scales its own
 * configured rate (the peak) by it and checkpoints it. Subclasses give only the multiplier, a pure
 * function. The scheduler writes no other plugin's field and has no state of its own (a
 * `{ peakLr }` in older checkpoints is ignored: the peak is the optimizer's configured rate).
 */
export abstract class LrScheduler implements GraftPlugin {
  abstract readonly meta: PluginMeta;
  abstract readonly options: Readonly<Record<string, unknown>>;
  private total = 0;

  /** Multiplier of the peak learning rate at `step` (0-based) of `totalSteps`. */
  protected abstract multiplier(step: number, totalSteps: number): number;

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => {
      const opt = trainer.role('optimizer');
      if (typeof opt.setLearningRateMultiplier !== 'function') {
        throw new GraftError(ErrorCodes.CONFIG, `optimizer ${opt.meta.name} has no setLearningRateMultiplier, so a scheduler cannot drive it`, {
          plugin: this.meta.name,
          hint: 'Implement OptimizerPlugin.setLearningRateMultiplier (and baseLearningRate) in the optimizer',
        });
      }
    }, { stage: 'optimizer' });
    trainer.tap('beforeRun', this, () => {
      this.total = this.totalStepsOf(trainer);
    });
    trainer.tap('beforeOptimizerStep', this, (ctx) => {
      if (this.total <= 0) this.total = this.totalStepsOf(trainer);
      trainer.role('optimizer').setLearningRateMultiplier(this.multiplier(ctx.state.step, this.total));
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

  /**
   * True when the schedule's length comes from the run (its `totalSteps` option is 0: the trainer's
   * maxSteps, else epochs × batches), so plugins that change what a step is (grad accumulation) can
   * warn without reading this plugin's options.
   */
  get lengthFromRun(): boolean {
    return this.options.totalSteps === 0;
  }

  /** The multiplier this scheduler gives at `step` (0-based) of `totalSteps`. */
  multiplierAt(step: number, totalSteps: number): number {
    return this.multiplier(step, totalSteps);
  }

}
