import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  type GradMap,
  type GraftPlugin,
  type PluginState,
  type ResolvedOptions,
  type StepContext,
  type TrainerApi,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { addGrads, meanGrads, updateDue } from './accumulateGrads.ts';

export const GRAD_ACCUMULATION_OPTIONS = {
  steps: {
    type: 'integer',
    default: 1,
    min: 1,
    doc: 'Micro-batches per optimizer update (k): gradients of k batches are averaged, then applied once (1: off).',
  },
} as const satisfies OptionSchema;

export type GradAccumulationOptionsInput = InputOptions<typeof GRAD_ACCUMULATION_OPTIONS>;

/** Prefix of the checkpointed sums: `sum/<parameter>`. */
const SUM = 'sum/';

/**
 * Gradient accumulation: the gradients of `steps` (k) micro-batches are summed on the device
 * (`afterBackward`, stage `transform`, so clipping at `normalize` sees the accumulated gradient),
 * and the optimizer runs once, on their mean, at the k-th micro-batch; at the others the update is
 * skipped (`control.skipOptimizerStep()`), so `state.step` counts updates, not micro-batches. With
 * a mean-reduced loss, k micro-batches of b examples give the update of one batch of k·b. The last
 * batch of an epoch always updates (a shorter last cycle, like a short last batch). The running sum
 * and its count are state: a run resumed between two updates continues exactly.
 */
export class GradAccumulation implements GraftPlugin {
  static readonly meta = {
    name: 'callback:grad-accumulation',
    kind: 'callback',
    description: 'Averages the gradients of k micro-batches and updates once: the step of a k times larger batch',
  } as const satisfies PluginMeta;
  static readonly options = GRAD_ACCUMULATION_OPTIONS;
  readonly meta = GradAccumulation.meta;
  readonly options: Readonly<ResolvedOptions<typeof GRAD_ACCUMULATION_OPTIONS>>;
  /** Sum of the gradients of the current cycle (kept tensors, owned here), or undefined. */
  private sum: GradMap | undefined;
  /** Micro-batches summed in the current cycle. */
  private count = 0;
  /** Training batches in the current epoch, read at `beforeEpoch`. */
  private epochBatches = 0;

  constructor(input: GradAccumulationOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, GRAD_ACCUMULATION_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('beforeRun', this, () => this.warnScheduleLength(trainer));
    trainer.tap('beforeEpoch', this, () => {
      this.epochBatches = trainer.role('dataset').numBatches('train');
    });
    trainer.tap('afterBackward', this, (grads, ctx) => this.accumulate(grads, ctx), { stage: 'transform' });
  }

  /** Micro-batches summed since the last update. */
  get pending(): number {
    return this.count;
  }

  private accumulate(grads: GradMap, ctx: StepContext): GradMap {
    const k = this.options.steps;
    if (k === 1) return grads;
    // Runs inside the step's tidy: keep the new sum, free the old one.
    const next = addGrads(this.sum, grads);
    for (const t of Object.values(next)) tf.keep(t);
    if (this.sum) tf.dispose(Object.values(this.sum));
    this.sum = next;
    this.count++;
    const last = ctx.state.batchInEpoch + 1 >= this.epochBatches;
    if (!updateDue(this.count, k, last)) {
      ctx.control.skipOptimizerStep();
      return grads; // unused by the optimizer; later taps (clipping) see this micro-batch's gradients
    }
    const mean = meanGrads(this.sum, this.count); // freed by the step's tidy
    this.release();
    return mean;
  }

  /** A schedule sized from epochs × batches counts micro-batches; `state.step` counts updates. */
  private warnScheduleLength(trainer: TrainerApi): void {
    if (this.options.steps === 1 || trainer.state.maxSteps > 0) return;
    for (const p of trainer.plugins) {
      // A scheduler says whether its length comes from the run (LrScheduler.lengthFromRun).
      if (p.meta.kind === 'scheduler' && 'lengthFromRun' in p && p.lengthFromRun === true) {
        trainer.logger.warn(
          `${this.meta.name}: ${p.meta.name} sizes its schedule from epochs × batches, ${this.options.steps} times the number of ` +
            'optimizer updates this run makes; set the trainer\'s maxSteps or the scheduler\'s totalSteps (in updates)',
        );
      }
    }
  }

  /** Free the sum and start a new cycle. */
  private release(): void {
    if (this.sum) tf.dispose(Object.values(this.sum));
    this.sum = undefined;
    this.count = 0;
  }

  getState(): PluginState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(this.sum ?? {})) tensors[SUM + name] = t;
    return { json: { count: this.count }, tensors };
  }

  setState(state: PluginState): void {
    const count = (state.json as { count?: unknown } | undefined)?.count ?? 0;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new GraftError(ErrorCodes.CHECKPOINT, 'saved micro-batch count is not a non-negative integer', { plugin: this.meta.name, received: count });
    }
    const entries = Object.entries(state.tensors ?? {});
    for (const [key] of entries) {
      if (!key.startsWith(SUM)) {
        throw new GraftError(ErrorCodes.CHECKPOINT, `unknown state tensor "${key}"`, { plugin: this.meta.name, expected: `${SUM}<parameter>` });
      }
    }
    this.release();
    if (count === 0) return;
    // The loader frees the tensors it hands over once this returns: keep copies.
    this.sum = Object.fromEntries(entries.map(([key, t]) => [key.slice(SUM.length), tf.clone(t)]));
    this.count = count;
  }

  dispose(): void {
    this.release();
  }
}
