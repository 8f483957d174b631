import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  badOption,
  resolveOptions,
  type Batch,
  type ObjectivePlugin,
  type Outputs,
  type ResolvedOptions,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { softmaxCrossEntropy } from './softmaxCrossEntropy.ts';

export const CLASSIFICATION_OPTIONS = {
  classWeights: {
    type: 'number[]',
    doc: 'Weight per class (length numClasses, each >= 0, not all zero); the loss is the weighted mean sum(w_y * nll) / sum(w_y), as PyTorch.',
  },
  labelSmoothing: {
    type: 'number',
    default: 0,
    min: 0,
    max: 0.99,
    doc: 'Label smoothing ε in [0, 1): the target is (1-ε) one-hot + ε uniform (PyTorch formula, weights included).',
  },
} as const satisfies OptionSchema;

export type ClassificationOptionsInput = InputOptions<typeof CLASSIFICATION_OPTIONS>;

/**
 * Softmax cross-entropy of `outputs.logits` [B, C] against `batch.labels` [B] (binary tasks are
 * two classes), with optional class weights and label smoothing.
 */
export class ClassificationObjective implements ObjectivePlugin {
  static readonly meta = {
    name: 'objective:classification',
    kind: 'objective',
    description: 'Softmax cross-entropy over class labels (class weights, label smoothing)',
  } as const satisfies PluginMeta;
  static readonly options = CLASSIFICATION_OPTIONS;
  readonly meta = ClassificationObjective.meta;
  readonly options: Readonly<ResolvedOptions<typeof CLASSIFICATION_OPTIONS>>;

  constructor(input: ClassificationOptionsInput = {}) {
    const o = resolveOptions(this.meta.name, CLASSIFICATION_OPTIONS, input);
    const w = o.classWeights;
    if (w !== undefined && (w.length < 2 || w.some((x) => x < 0) || w.every((x) => x === 0))) {
      throw badOption(this.meta.name, 'classWeights', 'one weight >= 0 per class (at least 2), not all zero', w);
    }
    this.options = o;
  }

  apply(): void {}

  loss(outputs: Outputs, batch: Batch): tf.Scalar {
    const logits = outputs.logits;
    const labels = batch.labels;
    if (!logits || logits.rank !== 2) {
      throw new GraftError(ErrorCodes.DATA, 'needs outputs.logits [B, numClasses]', {
        plugin: this.meta.name,
        received: logits ? `shape [${logits.shape}]` : Object.keys(outputs),
      });
    }
    if (!labels || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
      throw new GraftError(ErrorCodes.DATA, `needs batch.labels, int32 class ids [${logits.shape[0]}]`, {
        plugin: this.meta.name,
        received: labels ? `shape [${labels.shape}]` : Object.keys(batch),
      });
    }
    const C = logits.shape[1]!;
    const w = this.options.classWeights;
    if (w && w.length !== C) throw badOption(this.meta.name, 'classWeights', `${C} weights (one per class of the logits)`, w);
    return tf.tidy(() =>
      softmaxCrossEntropy(logits, labels, {
        classWeights: w ? tf.tensor1d(w, 'float32') : undefined,
        labelSmoothing: this.options.labelSmoothing,
      }),
    );
  }
}
