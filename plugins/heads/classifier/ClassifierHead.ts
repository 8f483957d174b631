import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  badOption,
  constantInit,
  createDense,
  dense,
  dropout,
  resolveOptions,
  type Batch,
  type ForwardContext,
  type HeadPlugin,
  type Outputs,
  type ParamPattern,
  type ParameterStore,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  scaledDropout,
  withOutput,
} from '../../../core/index.ts';
import { batchMoments, batchNormalize, updateRunningStats } from './batchNorm1d.ts';
import { concatPooling, POOLINGS, type Pooling } from './concatPooling.ts';
import { classifierSizes } from '../shared/classifierSizes.ts';
import { CLASSIFIER_HEAD_OPTIONS, type ClassifierHeadOptionsInput } from './options.ts';

const PREFIX = 'head.classifier';

/**
 * ULMFiT's PoolingLinearClassifier: concat pooling [last, max, mean] (or the `pooling` asked for) of the backbone features, then
 * blocks of BatchNorm1d → Dropout → Linear, with ReLU between blocks.
 *
 * Parameters of block k: `head.classifier.{k}.bn.gamma|beta`, buffers
 * `head.classifier.{k}.bn.runningMean|runningVar`, and `head.classifier.{k}.linear.kernel|bias`.
 * BatchNorm follows PyTorch: batch statistics in training (and the running ones updated, unless
 * frozen), running statistics at evaluation.
 */
export class ClassifierHead implements HeadPlugin {
  static readonly meta = {
    name: 'head:classifier',
    kind: 'head',
    description: 'ULMFiT classifier: concat pooling [last, max, mean] → (BatchNorm → Dropout → Linear) blocks → logits',
    dependsOn: ['model:*'],
  } as const satisfies PluginMeta;
  static readonly options = CLASSIFIER_HEAD_OPTIONS;
  readonly meta = ClassifierHead.meta;
  readonly options: Readonly<ResolvedOptions<typeof CLASSIFIER_HEAD_OPTIONS>>;
  private sizes: number[] = [];

  constructor(input: ClassifierHeadOptionsInput = {}) {
    const o = resolveOptions(this.meta.name, CLASSIFIER_HEAD_OPTIONS, input);
    if (o.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw badOption(this.meta.name, 'hidden', 'an array of integers >= 1', o.hidden);
    if (o.dropouts.length !== o.hidden.length + 1) {
      throw badOption(this.meta.name, 'dropouts', `${o.hidden.length + 1} values (one per block: hidden.length + 1)`, o.dropouts);
    }
    if (o.dropouts.some((p) => p < 0 || p >= 1)) throw badOption(this.meta.name, 'dropouts', 'values in [0, 1)', o.dropouts);
    if (o.pooling.length === 0 || new Set(o.pooling).size !== o.pooling.length || o.pooling.some((p) => !(POOLINGS as readonly string[]).includes(p))) {
      throw badOption(this.meta.name, 'pooling', `distinct values of ${POOLINGS.join(', ')} (at least one)`, o.pooling);
    }
    this.options = o;
  }

  /** Layer widths after setup: [pooling.length × H, ...hidden, numClasses]. */
  get layerSizes(): readonly number[] {
    return this.sizes;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'build' });
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    const { classes: C, width: H } = classifierSizes(trainer, this.meta.name, o);
    this.sizes = [o.pooling.length * H, ...o.hidden, C];
    const rng = trainer.rng.fork(this.meta.name);
    const params = trainer.params;
    for (let k = 0; k < this.sizes.length - 1; k++) {
      const n = this.sizes[k]!;
      const p = `${PREFIX}.${k}`;
      params.create(`${p}.bn.gamma`, [n], constantInit(n, 1), { owner: this.meta.name, decay: false });
      params.create(`${p}.bn.beta`, [n], constantInit(n, 0), { owner: this.meta.name, decay: false });
      params.create(`${p}.bn.runningMean`, [n], constantInit(n, 0), { owner: this.meta.name, role: 'buffer' });
      params.create(`${p}.bn.runningVar`, [n], constantInit(n, 1), { owner: this.meta.name, role: 'buffer' });
      createDense(params, rng, `${p}.linear`, n, this.sizes[k + 1]!, { owner: this.meta.name });
    }
  }

  forward(outputs: Outputs, batch: Batch, ctx: ForwardContext): Outputs {
    const features = outputs.features;
    if (!features || features.rank !== 3) {
      throw new GraftError(ErrorCodes.DATA, 'needs backbone features [B, T, H]', {
        plugin: this.meta.name,
        received: features ? `shape [${features.shape}]` : Object.keys(outputs),
      });
    }
    const { params, training, rng } = ctx;
    let x = concatPooling(features, batch.lengths ?? outputs.lengths, this.options.pooling as Pooling[]);
    const blocks = this.sizes.length - 1;
    for (let k = 0; k < blocks; k++) {
      const p = `${PREFIX}.${k}`;
      x = this.batchNorm(params, `${p}.bn`, x, training);
      x = dropout(x, scaledDropout(this.options.dropouts[k]!, this.options.dropMult), training, rng);
      x = dense(params, `${p}.linear`, x, training);
      if (k < blocks - 1) x = tf.relu(x);
    }
    return withOutput(outputs, 'logits', x);
  }

  private batchNorm(params: ParameterStore, p: string, x: tf.Tensor, training: boolean): tf.Tensor {
    const gamma = params.read(`${p}.gamma`, training);
    const beta = params.read(`${p}.beta`, training);
    if (!training) return batchNormalize(x, params.read(`${p}.runningMean`), params.read(`${p}.runningVar`), gamma, beta, this.options.bnEps);
    const n = x.shape[0]!;
    if (n < 2) {
      throw new GraftError(ErrorCodes.DATA, 'BatchNorm needs at least 2 examples per training batch', {
        plugin: this.meta.name,
        received: n,
        hint: 'Drop the last incomplete training batch or use a larger batch size',
      });
    }
    const { mean, variance } = batchMoments(x);
    // updateBuffer leaves frozen buffers as they are (a frozen head keeps its statistics)
    const run = updateRunningStats(params.get(`${p}.runningMean`), params.get(`${p}.runningVar`), mean, variance, n, this.options.bnMomentum);
    params.updateBuffer(`${p}.runningMean`, run.mean);
    params.updateBuffer(`${p}.runningVar`, run.variance);
    return batchNormalize(x, mean, variance, gamma, beta, this.options.bnEps);
  }

  layerGroups(): ParamPattern[] {
    return ['head.**'];
  }
}
