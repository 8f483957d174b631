import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  type EvalBatchContext,
  type GraftPlugin,
  type InputOptions,
  type Metrics,
  type OptionSchema,
  type PluginMeta,
  type ResolvedOptions,
  type Split,
  type TrainerApi,
} from '../../../core/index.ts';
import { DeviceSum } from '../shared/DeviceSum.ts';
import { maskedAccuracyCounts } from './maskedAccuracyCounts.ts';

export const MASKED_ACCURACY_OPTIONS = {
  logitsKey: { type: 'string', default: 'logits', doc: 'Output holding the token scores [B, T, V]; the prediction is their argmax.' },
  targetsKey: { type: 'string', default: 'targets', doc: 'Batch field holding the true token ids [B, T].' },
  maskKey: {
    type: 'string',
    default: 'mask',
    doc: 'Batch field [B, T], non-zero at the positions that count (objective:masked-lm writes 1 at the masked tokens); a batch without it counts every position.',
  },
} as const satisfies OptionSchema;

export type MaskedAccuracyOptions = InputOptions<typeof MASKED_ACCURACY_OPTIONS>;

/**
 * `metric:masked-accuracy`: `${split}_masked_accuracy`, the fraction of the split's masked tokens
 * whose argmax logit is the original token, counted over every masked token of the evaluation (not
 * a mean of per-batch accuracies). Counts accumulate on the device and are read once at the end.
 */
export class MaskedAccuracyMetric implements GraftPlugin {
  static readonly meta = {
    name: 'metric:masked-accuracy',
    kind: 'metric',
    description: 'Token accuracy at the masked positions on evaluation ({split}_masked_accuracy)',
  } as const satisfies PluginMeta;
  static readonly options = MASKED_ACCURACY_OPTIONS;
  readonly meta = MaskedAccuracyMetric.meta;
  readonly options: Readonly<ResolvedOptions<typeof MASKED_ACCURACY_OPTIONS>>;
  /** During an evaluation: [correct, counted] so far, on the device (freed when it ends or fails). */
  private readonly counts = new DeviceSum();

  constructor(options: MaskedAccuracyOptions = {}) {
    this.options = resolveOptions(this.meta.name, MASKED_ACCURACY_OPTIONS, options);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('beforeEval', this, () => this.reset());
    trainer.tap('evalBatch', this, (ctx) => this.add(ctx));
    trainer.tap('afterEval', this, async (metrics, ctx) => this.finish(metrics, ctx.split));
    trainer.tap('onError', this, (ctx) => {
      if (ctx.phase === 'evaluate') this.reset();
    });
  }

  private add(ctx: EvalBatchContext): void {
    const { logitsKey, targetsKey, maskKey } = this.options;
    const logits = ctx.outputs[logitsKey];
    const targets = ctx.batch[targetsKey];
    const mask = ctx.batch[maskKey];
    if (!logits || !targets) {
      throw new GraftError(ErrorCodes.DATA, `needs outputs.${logitsKey} and batch.${targetsKey}`, {
        plugin: this.meta.name,
        received: { outputs: Object.keys(ctx.outputs), batch: Object.keys(ctx.batch) },
        hint: 'Use it with a language-model head and objective (head:mlm, objective:masked-lm), or set logitsKey / targetsKey',
      });
    }
    if (logits.size !== targets.size * logits.shape[logits.rank - 1]! || (mask && mask.size !== targets.size)) {
      throw new GraftError(ErrorCodes.DATA, 'logits, targets and mask do not match', {
        plugin: this.meta.name,
        expected: `logits [B, T, V] for targets [${targets.shape}]${mask ? ' and a mask of the same shape' : ''}`,
        received: `logits [${logits.shape}]${mask ? `, mask [${mask.shape}]` : ''}`,
      });
    }
    this.counts.add(maskedAccuracyCounts(logits, targets, mask));
  }

  private async finish(metrics: Metrics, split: Split): Promise<Metrics> {
    const counts = await this.counts.read();
    if (!counts) return metrics;
    const [correct, counted] = counts;
    return counted! > 0 ? { ...metrics, [`${split}_masked_accuracy`]: correct! / counted! } : metrics;
  }

  private reset(): void {
    this.counts.reset();
  }

  dispose(): void {
    this.reset();
  }
}
