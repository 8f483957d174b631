import * as tf from '@tensorflow/tfjs-core';
import {
  offerStageResult,
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type PluginMeta,
  type PluginState,
  type ResolvedOptions,
  type OptionSchema,
  type TrainerApi,
} from '../../../core/index.ts';
import { folderBytes, median } from './usageStats.ts';

export const RESOURCE_USAGE_OPTIONS = {
  window: { type: 'integer', default: 200, min: 1, doc: 'Training steps whose times the median step time is taken over (the latest ones).' },
} as const satisfies OptionSchema;

/**
 * `callback:resource-usage`: what a run costs, in the stage result, so experiments can put methods
 * side by side: trainable and total parameters (the most that trained at once: gradual unfreezing
 * changes it by epoch), peak tensor memory (tfjs bytes held, sampled where a step holds the most:
 * at the loss, activations kept for the backward pass, and after the backward pass, gradients
 * alive), the median time of a training step (forward, backward and update; evaluation and
 * checkpoints excluded) and the bytes of the last checkpoint written.
 */
export class ResourceUsageCallback implements GraftPlugin {
  static readonly meta = {
    name: 'callback:resource-usage',
    kind: 'callback',
    description: 'Parameters trained, peak tensor memory, step time and checkpoint bytes, in the stage result',
  } as const satisfies PluginMeta;
  static readonly options = RESOURCE_USAGE_OPTIONS;
  readonly meta = ResourceUsageCallback.meta;
  readonly options: Readonly<ResolvedOptions<typeof RESOURCE_USAGE_OPTIONS>>;
  private peakBytes = 0;
  private trainable = 0;
  private total = 0;
  private checkpointBytes: number | undefined;
  private started = 0;
  private times: number[] = [];

  constructor(input: InputOptions<typeof RESOURCE_USAGE_OPTIONS> = {}) {
    this.options = resolveOptions(this.meta.name, RESOURCE_USAGE_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    const sample = () => {
      this.peakBytes = Math.max(this.peakBytes, tf.memory().numBytes);
    };
    trainer.tap('beforeEpoch', this, () => {
      this.trainable = Math.max(this.trainable, trainer.params.count({ trainableOnly: true }));
      this.total = trainer.params.count();
    }, { stage: 'observe' });
    trainer.tap('beforeStep', this, () => {
      this.started = performance.now();
    }, { stage: 'observe' });
    trainer.tap('onLoss', this, (loss) => (sample(), loss), { stage: 'observe' });
    trainer.tap('afterBackward', this, (grads) => (sample(), grads), { stage: 'observe' });
    trainer.tap('afterOptimizerStep', this, () => {
      this.times.push((performance.now() - this.started) / 1000);
      if (this.times.length > this.options.window) this.times.shift();
    }, { stage: 'observe' });
    trainer.tap('afterRun', this, () => this.offer(trainer), { stage: 'observe' });
    trainer.tap('afterSave', this, (ctx) => {
      this.checkpointBytes = folderBytes(ctx.dir);
      this.offer(trainer);
    }, { stage: 'observe' });
  }

  /** What the plugin puts in the stage result (also readable directly). */
  get usage(): Record<string, number> {
    return {
      trainable_parameters: this.trainable,
      total_parameters: this.total,
      peak_tensor_bytes: this.peakBytes,
      ...(this.times.length ? { step_seconds: median(this.times) } : {}),
      ...(this.checkpointBytes !== undefined ? { checkpoint_bytes: this.checkpointBytes } : {}),
    };
  }

  private offer(trainer: TrainerApi): void {
    offerStageResult(trainer.resources, this.usage);
  }

  getState(): PluginState {
    return { json: { peakBytes: this.peakBytes, trainable: this.trainable, times: this.times } };
  }

  setState(state: PluginState): void {
    const s = state.json as { peakBytes?: number; trainable?: number; times?: number[] } | undefined;
    this.peakBytes = s?.peakBytes ?? 0;
    this.trainable = s?.trainable ?? 0;
    this.times = Array.isArray(s?.times) ? s.times.slice(-this.options.window) : [];
  }
}
