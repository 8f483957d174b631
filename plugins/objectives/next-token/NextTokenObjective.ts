import type * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  type Batch,
  type EvalContext,
  type InputOptions,
  type Metrics,
  type ObjectivePlugin,
  type Outputs,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { tokenCrossEntropy } from './tokenCrossEntropy.ts';

export const NEXT_TOKEN_OPTIONS = {
  ignoreIndex: {
    type: 'integer',
    doc: "Targets equal to this id do not count. Default: the tokenizer's pad id if it has one, else -1.",
  },
} as const satisfies OptionSchema;

export type NextTokenOptions = InputOptions<typeof NEXT_TOKEN_OPTIONS>;

/**
 * `objective:next-token`: mean cross-entropy of `logits` [B, T, V] against `batch.targets`
 * [B, T], over positions where `batch.mask` (if any) is non-zero and the target is not the
 * ignore index. Adds `<split>_perplexity` = exp(loss) to evaluation metrics.
 */
export class NextTokenObjective implements ObjectivePlugin {
  static readonly meta = { name: 'objective:next-token', kind: 'objective', description: 'Next-token cross-entropy (causal language modelling)' } as const satisfies PluginMeta;
  static readonly options = NEXT_TOKEN_OPTIONS;
  readonly meta = NextTokenObjective.meta;
  readonly options: ResolvedOptions<typeof NEXT_TOKEN_OPTIONS>;
  private ignore: number;

  constructor(options: NextTokenOptions = {}) {
    this.options = resolveOptions(this.meta.name, NEXT_TOKEN_OPTIONS, options);
    this.ignore = this.options.ignoreIndex ?? -1;
  }

  /** The target id that does not count (resolved from the tokenizer at setup). */
  get ignoreIndex(): number {
    return this.ignore;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap(
      'setup',
      this,
      () => {
        this.ignore = this.options.ignoreIndex ?? trainer.maybeRole('tokenizer')?.tokenizer.specials.pad ?? -1;
      },
      { stage: 'build' },
    );
    trainer.tap('afterEval', this, (metrics: Metrics, ctx: EvalContext) => withPerplexity(metrics, ctx.split), { stage: 'default' });
  }

  loss(outputs: Outputs, batch: Batch): tf.Scalar {
    const logits = outputs.logits;
    const targets = batch.targets;
    if (!logits) throw new GraftError(ErrorCodes.DATA, 'no `logits` in the outputs', { plugin: this.meta.name, hint: 'Add a head (head:lm) that produces logits' });
    if (!targets) throw new GraftError(ErrorCodes.DATA, 'no `targets` in the batch', { plugin: this.meta.name, received: Object.keys(batch) });
    if (logits.size !== targets.size * logits.shape[logits.rank - 1]!) {
      throw new GraftError(ErrorCodes.DATA, 'logits and targets do not match', {
        plugin: this.meta.name,
        expected: `logits [B, T, V] for targets [${targets.shape}]`,
        received: `logits [${logits.shape}]`,
      });
    }
    return tokenCrossEntropy(logits, targets, batch.mask, this.ignore);
  }
}

/** Metrics plus `<split>_perplexity` = exp(`<split>_loss`) when the loss is there. */
export function withPerplexity(metrics: Metrics, split: string): Metrics {
  const loss = metrics[`${split}_loss`];
  return loss === undefined ? metrics : { ...metrics, [`${split}_perplexity`]: Math.exp(loss) };
}
