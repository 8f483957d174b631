/**
 * A third-party plugin, written only against Graft's public API: it imports 'graftml' and nothing
 * else (tfjs too comes from 'graftml', so the plugin and the trainer share one tfjs).
 *
 * It guards against loss spikes: it keeps an exponential moving average of the loss and, when a
 * step's loss exceeds `factor` times the average, cancels that step before the optimizer update
 * (the gradient would be garbage), counting how often it did. Its average and count are state, so a
 * resumed run keeps guarding with the same baseline.
 *
 * It reads the loss in `afterBackward`, a synchronous read: acceptable for a guard that must decide
 * before the update, and the reason this plugin is opt-in.
 */
import { resolveOptions, type GraftPlugin, type OptionSchema, type PluginMeta, type PluginState, type TrainerApi, type tf } from 'graftml';
import { updateEma } from './updateEma.ts';

const OPTIONS = {
  factor: { type: 'number', default: 3, min: 1, exclusiveMin: true, doc: 'Cancel a step whose loss exceeds factor × the average.' },
  decay: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'EMA decay of the loss average.' },
  warmup: { type: 'integer', default: 5, min: 0, doc: 'Steps before the guard starts judging.' },
} as const satisfies OptionSchema;

export interface LossSpikeGuardOptions {
  factor?: number;
  decay?: number;
  warmup?: number;
}

export class LossSpikeGuard implements GraftPlugin {
  // Statics: recipes, `graft describe` and docs read the name and the option schema without
  // constructing the plugin; the instance's meta is the same object.
  static readonly meta = { name: 'callback:loss-spike-guard', kind: 'callback', description: 'Skips steps whose loss spikes far above its moving average.' } as const satisfies PluginMeta;
  static readonly options = OPTIONS;
  readonly meta = LossSpikeGuard.meta;
  readonly options;
  private ema: number | undefined;
  private seen = 0;
  skipped = 0;

  constructor(options: LossSpikeGuardOptions = {}) {
    this.options = resolveOptions(this.meta.name, OPTIONS, options);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('afterBackward', this, (grads, ctx) => {
      const loss = (ctx.loss as tf.Scalar).dataSync()[0]!;
      this.seen++;
      if (this.ema !== undefined && this.seen > this.options.warmup && loss > this.options.factor * this.ema) {
        this.skipped++;
        ctx.control.skipBatch(`loss ${loss.toFixed(3)} > ${this.options.factor} × average ${this.ema.toFixed(3)}`);
      }
      this.ema = updateEma(this.ema, loss, this.options.decay);
      return grads;
    }, { stage: 'first' });
  }

  getState(): PluginState {
    return { json: { ema: this.ema ?? null, seen: this.seen, skipped: this.skipped } };
  }

  setState(s: PluginState): void {
    const j = s.json as { ema: number | null; seen: number; skipped: number };
    this.ema = j.ema ?? undefined;
    this.seen = j.seen;
    this.skipped = j.skipped;
  }
}
