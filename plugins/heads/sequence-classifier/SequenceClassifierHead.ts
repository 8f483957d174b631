import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  badOption,
  createDense,
  dense,
  dropout,
  gelu,
  resolveOptions,
  type Batch,
  type ForwardContext,
  type HeadPlugin,
  type Outputs,
  type ParamPattern,
  type PluginMeta,
  type ResolvedOptions,
  type TrainerApi,
  withOutput,
} from '../../../core/index.ts';
import { SEQUENCE_CLASSIFIER_OPTIONS, type SequenceClassifierHeadOptionsInput } from './options.ts';
import { classifierSizes } from '../shared/classifierSizes.ts';
import { autoPooling, poolSequence, type SequencePooling } from './poolSequence.ts';

const PREFIX = 'head.cls';

const ACTIVATIONS = { gelu, relu: (x: tf.Tensor) => tf.relu(x), tanh: (x: tf.Tensor) => tf.tanh(x) } as const;

/**
 * `head:sequence-classifier`: sequence classification on a transformer. Pools `features` [B, T, D]
 * to [B, D] (first / mean / last real token, `auto` by the model's causality), then an optional
 * BERT pooler (dense + tanh), optional hidden layers, dropout and a linear layer to `logits` [B, C].
 *
 * Parameters: `head.cls.pooler.kernel|bias` (with `pooler`), `head.cls.hidden.{k}.kernel|bias`,
 * `head.cls.out.kernel|bias`.
 */
export class SequenceClassifierHead implements HeadPlugin {
  static readonly meta = {
    name: 'head:sequence-classifier',
    kind: 'head',
    description: 'Transformer sequence classifier: first/mean/last-token pooling → (BERT pooler) → dropout → linear → logits',
    dependsOn: ['model:*'],
  } as const satisfies PluginMeta;
  static readonly options = SEQUENCE_CLASSIFIER_OPTIONS;
  readonly meta = SequenceClassifierHead.meta;
  readonly options: Readonly<ResolvedOptions<typeof SEQUENCE_CLASSIFIER_OPTIONS>>;
  private resolved: SequencePooling | undefined;
  private sizes: number[] = [];

  constructor(input: SequenceClassifierHeadOptionsInput = {}) {
    const o = resolveOptions(this.meta.name, SEQUENCE_CLASSIFIER_OPTIONS, input);
    if (o.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw badOption(this.meta.name, 'hidden', 'an array of integers >= 1', o.hidden);
    this.options = o;
    this.resolved = o.pooling === 'auto' ? undefined : o.pooling;
  }

  /** The pooling in use: the option, or for `auto` what the model decided at build time (undefined before). */
  get pooling(): SequencePooling | undefined {
    return this.resolved;
  }

  /** Widths after setup: [D, ...hidden, numClasses] (the pooler keeps D). */
  get layerSizes(): readonly number[] {
    return this.sizes;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'build' });
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    const { classes: C, width: D } = classifierSizes(trainer, this.meta.name, o);
    const model = trainer.maybeRole('model');
    this.resolved = o.pooling === 'auto' ? autoPooling(model?.causal) : o.pooling;
    this.sizes = [D, ...o.hidden, C];
    const rng = trainer.rng.fork(this.meta.name);
    const init = { owner: this.meta.name, init: { std: o.initStd } };
    if (o.pooler) createDense(trainer.params, rng, `${PREFIX}.pooler`, D, D, init);
    for (let k = 0; k < o.hidden.length; k++) createDense(trainer.params, rng, `${PREFIX}.hidden.${k}`, this.sizes[k]!, this.sizes[k + 1]!, init);
    createDense(trainer.params, rng, `${PREFIX}.out`, this.sizes[this.sizes.length - 2]!, C, init);
  }

  forward(outputs: Outputs, batch: Batch, ctx: ForwardContext): Outputs {
    const features = outputs.features;
    if (!features || features.rank !== 3) {
      throw new GraftError(ErrorCodes.DATA, 'needs backbone features [B, T, D]', {
        plugin: this.meta.name,
        received: features ? `shape [${features.shape}]` : Object.keys(outputs),
      });
    }
    if (!this.resolved) throw new GraftError(ErrorCodes.INTERNAL, 'forward before setup: the head is not built', { plugin: this.meta.name });
    const o = this.options;
    const { params, training, rng } = ctx;
    let x: tf.Tensor = poolSequence(features, this.resolved, batch.lengths ?? outputs.lengths);
    if (o.pooler) x = tf.tanh(dense(params, `${PREFIX}.pooler`, x, training));
    for (let k = 0; k < o.hidden.length; k++) {
      x = ACTIVATIONS[o.activation](dense(params, `${PREFIX}.hidden.${k}`, dropout(x, o.dropout, training, rng), training));
    }
    const logits = dense(params, `${PREFIX}.out`, dropout(x, o.dropout, training, rng), training);
    return withOutput(outputs, 'logits', logits);
  }

  layerGroups(): ParamPattern[] {
    return ['head.**'];
  }
}
