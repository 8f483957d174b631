import type * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError, resolveOptions, type Batch, type InputOptions, type ObjectivePlugin, type OptionSchema, type Outputs, type PluginMeta } from '../../../core/index.ts';
import { sgnsLossFromScores } from './sgnsLoss.ts';

export const SKIP_GRAM_OBJECTIVE_OPTIONS = {} as const satisfies OptionSchema;

/**
 * `objective:skip-gram`: word2vec's negative-sampling loss, mean over the batch's pairs, from the
 * model's `logits` [B, 1 + K] (column 0 the true context's score u_o·v_c, the others the
 * negatives' u_k·v_c; `model:skip-gram` computes them).
 */
export class SkipGramObjective implements ObjectivePlugin {
  static readonly meta = {
    name: 'objective:skip-gram',
    kind: 'objective',
    description: 'Skip-gram negative-sampling loss −log σ(u_o·v_c) − Σ log σ(−u_k·v_c) (word2vec)',
  } as const satisfies PluginMeta;
  static readonly options = SKIP_GRAM_OBJECTIVE_OPTIONS;
  readonly meta = SkipGramObjective.meta;
  readonly options: Readonly<Record<string, never>>;

  constructor(options: InputOptions<typeof SKIP_GRAM_OBJECTIVE_OPTIONS> = {}) {
    this.options = resolveOptions(this.meta.name, SKIP_GRAM_OBJECTIVE_OPTIONS, options);
  }

  apply(): void {}

  loss(outputs: Outputs, batch: Batch): tf.Scalar {
    const logits = outputs.logits;
    if (!logits || logits.rank !== 2 || logits.shape[1]! < 2) {
      throw new GraftError(ErrorCodes.DATA, 'expects outputs.logits [B, 1 + K]: the true context\'s score, then K negatives\'', {
        plugin: this.meta.name,
        received: logits ? `logits [${logits.shape}]` : `keys ${Object.keys(outputs).join(', ') || '(none)'}`,
        hint: 'Use model:skip-gram on batches of dataset:skip-gram (inputs, targets, negatives)',
      });
    }
    const rows = batch.inputs?.shape[0];
    if (rows !== undefined && rows !== logits.shape[0]) {
      throw new GraftError(ErrorCodes.DATA, 'logits and batch do not match', { plugin: this.meta.name, expected: `${rows} rows`, received: `logits [${logits.shape}]` });
    }
    return sgnsLossFromScores(logits);
  }
}
