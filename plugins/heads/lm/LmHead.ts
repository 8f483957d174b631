import {
  ErrorCodes,
  GraftError,
  normalInit,
  constantInit,
  resolveOptions,
  type Batch,
  type ForwardContext,
  type HeadPlugin,
  type InputOptions,
  type Outputs,
  type ParamPattern,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
  withOutput,
} from '../../../core/index.ts';
import type * as tf from '@tensorflow/tfjs-core';
import { lmLogits } from './lmLogits.ts';

export const LM_HEAD_OPTIONS = {
  tied: { type: 'boolean', default: true, doc: 'Tie the output projection to the token embedding (no parameter of its own).' },
  embedding: { type: 'string', default: 'backbone.tokEmbed', doc: 'Parameter [V, D] the tied head reads (through params.read, so its transforms apply).' },
  bias: { type: 'boolean', default: false, doc: 'Untied only: a bias head.lm.bias [V].' },
  vocabSize: { type: 'integer', min: 1, doc: "Untied only: output size. Default: rows of the embedding parameter, else the tokenizer's vocabSize." },
  dModel: { type: 'integer', min: 1, doc: "Untied only: input size. Default: columns of the embedding parameter, else the model's featureSize." },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Untied only: std of the normal init of head.lm.kernel.' },
} as const satisfies OptionSchema;

export type LmHeadOptions = InputOptions<typeof LM_HEAD_OPTIONS>;

const KERNEL = 'head.lm.kernel';
const BIAS = 'head.lm.bias';

/**
 * `head:lm`: language-model logits [B, T, V] from `features` [B, T, D], tied to the token
 * embedding by default or with its own `head.lm.kernel` [D, V].
 */
export class LmHead implements HeadPlugin {
  static readonly meta = { name: 'head:lm', kind: 'head', description: 'Language-model head: features → vocabulary logits (tied or own weights)', dependsOn: ['model:*'] } as const satisfies PluginMeta;
  static readonly options = LM_HEAD_OPTIONS;
  readonly meta = LmHead.meta;
  readonly options: ResolvedOptions<typeof LM_HEAD_OPTIONS>;

  constructor(options: LmHeadOptions = {}) {
    this.options = resolveOptions(this.meta.name, LM_HEAD_OPTIONS, options);
    if (this.options.tied && this.options.bias) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'a tied head has no bias', { plugin: this.meta.name, option: 'bias', expected: 'false when tied is true', received: true });
    }
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'build' });
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    const params = trainer.params;
    const emb = params.has(o.embedding) ? params.get(o.embedding) : undefined;
    if (o.tied) {
      if (!emb || emb.rank !== 2) {
        throw new GraftError(ErrorCodes.PARAMETER, `the tied head needs a [vocab, dim] parameter "${o.embedding}"${emb ? `, found shape [${emb.shape}]` : ', which does not exist'}`, {
          plugin: this.meta.name,
          option: 'embedding',
          hint: 'Point `embedding` at the model\'s token embedding (its parameter names: trainer.params.names()), or set tied: false',
        });
      }
      return;
    }
    const V = o.vocabSize ?? emb?.shape[0] ?? trainer.maybeRole('tokenizer')?.tokenizer.vocabSize;
    const D = o.dModel ?? emb?.shape[1] ?? trainer.maybeRole('model')?.featureSize;
    if (V === undefined) throw missing('vocabSize', 'no embedding parameter or tokenizer to take it from');
    if (D === undefined) throw missing('dModel', 'no embedding parameter or model featureSize to take it from');
    const rng = trainer.rng.fork(this.meta.name);
    params.create(KERNEL, [D, V], normalInit(rng, D * V, o.initStd), { owner: this.meta.name, decay: true });
    if (o.bias) params.create(BIAS, [V], constantInit(V, 0), { owner: this.meta.name, decay: false });
  }

  forward(outputs: Outputs, _batch: Batch, ctx: ForwardContext): Outputs {
    const features = outputs.features;
    if (!features) {
      throw new GraftError(ErrorCodes.DATA, 'the model returned no `features`', { plugin: this.meta.name, received: Object.keys(outputs) });
    }
    const o = this.options;
    const { params, training } = ctx;
    const logits = o.tied
      ? lmLogits(features, params.read(o.embedding, training) as tf.Tensor2D, true)
      : lmLogits(features, params.read(KERNEL, training) as tf.Tensor2D, false, o.bias ? params.read(BIAS, training) : undefined);
    return withOutput(outputs, 'logits', logits);
  }

  layerGroups(): ParamPattern[] {
    return this.options.tied ? [] : ['head.**'];
  }
}

function missing(option: string, why: string): GraftError {
  return new GraftError(ErrorCodes.BAD_OPTION, `${option} is not set and there is ${why}`, { plugin: LmHead.meta.name, option, hint: `Set ${option} (tied: false)` });
}
