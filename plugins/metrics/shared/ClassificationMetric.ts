import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  type EvalBatchContext,
  type GraftPlugin,
  type Metrics,
  type PluginMeta,
  type ResolvedOptions,
  type Split,
  type TrainerApi,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { ConfusionAccumulator } from './ConfusionAccumulator.ts';
import { total } from './classificationScores.ts';

/** Options every classification metric shares: where to read logits and labels. */
export const CLASSIFICATION_METRIC_OPTIONS = {
  logitsKey: { type: 'string', default: 'logits', doc: 'Output holding the class scores [B, C]; the prediction is their argmax.' },
  labelsKey: { type: 'string', default: 'labels', doc: 'Batch field holding the true class ids [B].' },
} as const satisfies OptionSchema;

export type ClassificationMetricOptionsInput = InputOptions<typeof CLASSIFICATION_METRIC_OPTIONS>;

/**
 * Wiring shared by the classification metrics: reset on `beforeEval`, accumulate a confusion
 * matrix on `evalBatch`, and on `afterEval` (stage default) hand the counts to `report`, which
 * returns the metrics to add; an evaluation that fails (`onError`, phase `evaluate`) frees the
 * counts. A metric keeps nothing between evaluations, so it has no state.
 */
export abstract class ClassificationMetric implements GraftPlugin {
  /** The schema every classification metric validates its options against. */
  static readonly options = CLASSIFICATION_METRIC_OPTIONS;
  abstract readonly meta: PluginMeta;
  readonly options: Readonly<ResolvedOptions<typeof CLASSIFICATION_METRIC_OPTIONS>>;
  protected trainer: TrainerApi | undefined;
  private readonly acc = new ConfusionAccumulator();

  constructor(name: string, input: ClassificationMetricOptionsInput = {}) {
    this.options = resolveOptions(name, ClassificationMetric.options, input);
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    trainer.tap('beforeEval', this, () => this.acc.reset());
    trainer.tap('evalBatch', this, (ctx) => this.add(ctx));
    trainer.tap('afterEval', this, async (metrics, ctx) => this.finish(metrics, ctx.split));
    trainer.tap('onError', this, (ctx) => {
      if (ctx.phase === 'evaluate') this.acc.reset();
    });
  }

  private add(ctx: EvalBatchContext): void {
    const { logitsKey, labelsKey } = this.options;
    const logits = ctx.outputs[logitsKey];
    const labels = ctx.batch[labelsKey];
    if (!logits || !labels) {
      throw new GraftError(ErrorCodes.DATA, `needs outputs.${logitsKey} and batch.${labelsKey}`, {
        plugin: this.meta.name,
        received: { outputs: Object.keys(ctx.outputs), batch: Object.keys(ctx.batch) },
        hint: 'Use classification metrics with a classification head and dataset, or set logitsKey / labelsKey',
      });
    }
    const error = this.acc.add(logits, labels);
    if (error) throw new GraftError(ErrorCodes.DATA, error, { plugin: this.meta.name });
  }

  private async finish(metrics: Metrics, split: Split): Promise<Metrics> {
    const { counts, numClasses, examples } = await this.acc.read();
    if (examples === 0) return metrics;
    if (total(counts) !== examples) {
      throw new GraftError(ErrorCodes.DATA, `${examples - total(counts)} of ${examples} labels are outside [0, ${numClasses})`, {
        plugin: this.meta.name,
        hint: 'Labels must be class ids below the number of logits',
      });
    }
    return { ...metrics, ...this.report(counts, numClasses, split) };
  }

  /** Metrics to add, from the split's confusion matrix (row = true class, column = predicted). */
  protected abstract report(counts: Int32Array, numClasses: number, split: Split): Metrics;

  dispose(): void {
    this.acc.dispose();
  }
}
