import * as tf from '@tensorflow/tfjs-core';
import {
  formatNumber,
  offerStageResult,
  resolveOptions,
  type EvalContext,
  type GraftPlugin,
  type Metrics,
  type PluginState,
  type RunContext,
  type TrainerApi,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { earlyStoppingUpdate, INITIAL_EARLY_STOPPING, type EarlyStoppingState } from './earlyStoppingUpdate.ts';

export const EARLY_STOPPING_OPTIONS = {
  monitor: { type: 'string', default: 'validation_loss', doc: 'The metric to watch, as evaluation reports it.' },
  mode: { type: 'enum', values: ['min', 'max'], default: 'min', doc: 'Whether lower (min) or higher (max) is better.' },
  patience: { type: 'integer', default: 3, min: 1, doc: 'Evaluations without improvement before the run stops.' },
  minDelta: { type: 'number', default: 0, min: 0, doc: 'Smallest change that counts as an improvement.' },
  restoreBest: {
    type: 'boolean',
    default: false,
    doc: 'Keep a copy of the best parameters in memory and put them back when the run ends.',
  },
} as const satisfies OptionSchema;

export type EarlyStoppingOptionsInput = InputOptions<typeof EARLY_STOPPING_OPTIONS>;

/** Prefix of the saved copies of the best parameters in this plugin's checkpoint state. */
const BEST_PREFIX = 'best/';

/**
 * Stops the run when a metric has not improved for `patience` evaluations; optionally puts the
 * best parameters back at the end.
 */
export class EarlyStoppingCallback implements GraftPlugin {
  static readonly meta = {
    name: 'callback:early-stopping',
    kind: 'callback',
    description: 'Stops training when a validation metric stops improving; can restore the best parameters',
  } as const satisfies PluginMeta;
  static readonly options = EARLY_STOPPING_OPTIONS;
  readonly meta = EarlyStoppingCallback.meta;
  readonly options;
  private s: EarlyStoppingState = { ...INITIAL_EARLY_STOPPING };
  /** Copies of every parameter and buffer at the best evaluation (restoreBest only). */
  private bestParams = new Map<string, tf.Tensor>();
  private warnedMissing = false;

  constructor(input: EarlyStoppingOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, EARLY_STOPPING_OPTIONS, input);
  }

  /** Best value so far, its step, and evaluations since (a copy). */
  get progress(): EarlyStoppingState {
    return { ...this.s };
  }

  apply(trainer: TrainerApi): void {
    // A run resumed from a checkpoint saved after the decision to stop (a periodic checkpoint of
    // the step that ran out of patience) stops again before training, as the original run did.
    trainer.tap('beforeRun', this, (ctx) => {
      if (this.s.best !== null && this.s.wait >= this.options.patience) ctx.control.stopRun(this.stopReason());
    });
    trainer.tap('afterEval', this, (metrics, ctx) => this.observe(metrics, ctx), { stage: 'observe' });
    // Stage `first` puts the restore before the final evaluation and checkpoint (stages
    // `default` and `last`), so they see the best parameters.
    trainer.tap('afterRun', this, (ctx) => this.restore(ctx), { stage: 'first' });
  }

  private observe(metrics: Metrics, ctx: EvalContext): Metrics {
    // Only evaluations during training spend patience; one before fit() or at its very end does not.
    if (!ctx.state.training) return metrics;
    const { monitor } = this.options;
    const value = metrics[monitor];
    if (value === undefined) {
      if (!this.warnedMissing) {
        this.warnedMissing = true;
        ctx.trainer.logger.warn(
          `${this.meta.name}: option "monitor" is "${monitor}", which the ${ctx.split} evaluation does not report (it has ${Object.keys(metrics).join(', ') || 'no metrics'}); ignoring it`,
        );
      }
      return metrics;
    }
    const r = earlyStoppingUpdate(this.s, value, ctx.state.step, this.options);
    this.s = r.state;
    if (r.improved && this.options.restoreBest) this.snapshot(ctx.trainer);
    if (r.stop) ctx.control.stopRun(this.stopReason());
    return metrics;
  }

  private stopReason(): string {
    return `early-stopping: ${this.options.monitor} has not improved for ${this.s.wait} evaluations (best ${this.s.best} at step ${this.s.bestStep})`;
  }

  private snapshot(trainer: TrainerApi): void {
    this.disposeCopies();
    // tf.clone shares the data until the variable is next assigned, so a copy costs nothing now.
    for (const name of trainer.params.names()) this.bestParams.set(name, tf.keep(tf.clone(trainer.params.get(name))));
  }

  private restore(ctx: RunContext): void {
    // In the stage's result: which evaluation won, so a report can say what was tested.
    if (this.s.best !== null) {
      offerStageResult(ctx.trainer.resources, {
        early_stopping: { monitor: this.options.monitor, best: this.s.best, bestStep: this.s.bestStep, restored: this.options.restoreBest && this.bestParams.size > 0 && ctx.state.stopReason !== 'error' },
      });
    }
    else if (ctx.state.stopReason !== 'error' && !this.warnedMissing) {
      // Nothing evaluated during training: the run is not what the user asked for; say how to fix it.
      ctx.trainer.logger.warn(
        `${this.meta.name}: no evaluation ran during training, so nothing was ${this.options.restoreBest ? 'chosen' : 'monitored'}; evaluate while training (callback:evaluate atEpochEnd or every)`,
      );
    }
    if (!this.options.restoreBest || this.bestParams.size === 0) return;
    if (ctx.state.stopReason !== 'error') {
      const params = ctx.trainer.params;
      for (const [name, copy] of this.bestParams) {
        if (params.has(name) && params.get(name).shape.join(',') === copy.shape.join(',')) params.get(name).assign(copy);
      }
      ctx.trainer.logger.info(`${this.meta.name}: restored the parameters of step ${this.s.bestStep} (${this.options.monitor} ${this.s.best === null ? 'none' : formatNumber(this.s.best)})`);
    }
    this.disposeCopies();
  }

  private disposeCopies(): void {
    for (const t of this.bestParams.values()) t.dispose();
    this.bestParams.clear();
  }

  getState(): PluginState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.bestParams) tensors[BEST_PREFIX + name] = t;
    return { json: { ...this.s }, ...(this.bestParams.size ? { tensors } : {}) };
  }

  setState(state: PluginState): void {
    const j = (state.json ?? {}) as Partial<EarlyStoppingState>;
    this.s = {
      best: typeof j.best === 'number' ? j.best : null,
      bestStep: typeof j.bestStep === 'number' ? j.bestStep : -1,
      wait: typeof j.wait === 'number' ? j.wait : 0,
    };
    this.disposeCopies();
    for (const [k, t] of Object.entries(state.tensors ?? {})) {
      // The loader disposes `t` after this returns; the clone keeps the data alive.
      if (k.startsWith(BEST_PREFIX)) this.bestParams.set(k.slice(BEST_PREFIX.length), tf.keep(tf.clone(t)));
    }
  }

  dispose(): void {
    this.disposeCopies();
  }
}
