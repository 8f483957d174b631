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
} from '../../../core/index.ts';
import type * as tf from '@tensorflow/tfjs-core';
import { lmLogits } from './lmLogits.ts';
import { LM_HEAD_OPTIONS } from './options.ts';

export type LmHeadOptions = InputOptions<typeof LM_HEAD_OPTIONS>;

const KERNEL = 'head.lm.kernel';
const BIAS = 'head.lm.bias';

/**
 * `head:lm`: language-model logits [B, T, V] from `features` [B, T, D], tied to the token
 * embedding by default or with its own `head.lm.kernel` [D, V].
 */
export class LmHead implements HeadPlugin {
  static readonly NAME = 'head:lm';
  readonly meta = { name: LmHead.NAME, kind: 'head', description: 'Language-model head: features → vocabulary logits (tied or own weights)', dependsOn: ['model:*'] } as const;
  readonly options: ResolvedOptions<typeof LM_HEAD_OPTIONS>;

  constructor(options: LmHeadOptions = {}) {
    this.options = resolveOptions(LmHead.NAME, LM_HEAD_OPTIONS, options);
    if (this.options.tied && this.options.bias) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'a tied head has no bias', { plugin: LmHead.NAME, option: 'bias', expected: 'false when tied is true', received: true });
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
          plugin: LmHead.NAME,
          option: 'embedding',
          hint: 'Point `embedding` at the model\'s token embedding (its parameter names: trainer.params.names()), or set tied: false',
        });
      }
      return;
    }
    const V = o.vocabSize ?? emb?.shape[0] ?? trainer.maybeRole('tokenizer')?.tokenizer.vocabSize;
    const modelD = (trainer.maybeRole('model')?.options as { dModel?: unknown } | undefined)?.dModel;
    const D = o.dModel ?? emb?.shape[1] ?? (typeof modelD === 'number' ? modelD : undefined);
    if (V === undefined) throw missing('vocabSize', 'no embedding parameter or tokenizer to take it from');
    if (D === undefined) throw missing('dModel', "no embedding parameter or model dModel option to take it from");
    const rng = trainer.rng.fork(LmHead.NAME);
    params.create(KERNEL, [D, V], normalInit(rng, D * V, o.initStd), { owner: LmHead.NAME, decay: true });
    if (o.bias) params.create(BIAS, [V], constantInit(V, 0), { owner: LmHead.NAME, decay: false });
  }

  forward(outputs: Outputs, _batch: Batch, ctx: ForwardContext): Outputs {
    const features = outputs.features;
    if (!features) {
      throw new GraftError(ErrorCodes.DATA, 'the model returned no `features`', { plugin: LmHead.NAME, received: Object.keys(outputs) });
    }
    const o = this.options;
    const { params, training } = ctx;
    const logits = o.tied
      ? lmLogits(features, params.read(o.embedding, training) as tf.Tensor2D, true)
      : lmLogits(features, params.read(KERNEL, training) as tf.Tensor2D, false, o.bias ? params.read(BIAS, training) : undefined);
    return { ...outputs, logits };
  }

  layerGroups(): ParamPattern[] {
    return this.options.tied ? [] : ['head.**'];
  }
}

function missing(option: string, why: string): GraftError {
  return new GraftError(ErrorCodes.BAD_OPTION, `${option} is not set and there is ${why}`, { plugin: LmHead.NAME, option, hint: `Set ${option} (tied: false)` });
}
