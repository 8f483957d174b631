import {
  ErrorCodes,
  GraftError,
  constantInit,
  createDense,
  createLayerNorm,
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
import { MLM_PARAMS, mlmLogits } from './mlmLogits.ts';
import { MLM_HEAD_OPTIONS, type MlmHeadOptions } from './options.ts';

/**
 * `head:mlm`: BERT's masked-LM head. `features` [B, T, D] → dense D→D, GELU, LayerNorm → `logits`
 * [B, T, V] through the decoder tied to the token embedding, plus an output bias.
 */
export class MlmHead implements HeadPlugin {
  static readonly meta = {
    name: 'head:mlm',
    kind: 'head',
    description: "BERT masked-LM head: dense + GELU + LayerNorm, decoder tied to the token embedding, output bias",
    dependsOn: ['model:*'],
  } as const satisfies PluginMeta;
  static readonly options = MLM_HEAD_OPTIONS;
  readonly meta = MlmHead.meta;
  readonly options: ResolvedOptions<typeof MLM_HEAD_OPTIONS>;

  constructor(options: MlmHeadOptions = {}) {
    this.options = resolveOptions(this.meta.name, MLM_HEAD_OPTIONS, options);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'build' });
  }

  private build(trainer: TrainerApi): void {
    const { embedding, initStd } = this.options;
    const params = trainer.params;
    const emb = params.has(embedding) ? params.get(embedding) : undefined;
    if (!emb || emb.rank !== 2) {
      throw new GraftError(ErrorCodes.PARAMETER, `the MLM decoder is tied to a [vocab, dim] parameter "${embedding}"${emb ? `, found shape [${emb.shape}]` : ', which does not exist'}`, {
        plugin: this.meta.name,
        option: 'embedding',
        hint: "Point `embedding` at the model's token embedding (its parameter names: trainer.params.names())",
      });
    }
    const [V, D] = emb.shape as [number, number];
    const owner = this.meta.name;
    createDense(params, trainer.rng.fork(owner), MLM_PARAMS.transform, D, D, { init: { std: initStd }, owner });
    createLayerNorm(params, MLM_PARAMS.ln, D, owner);
    params.create(MLM_PARAMS.bias, [V], constantInit(V, 0), { owner, decay: false });
  }

  forward(outputs: Outputs, _batch: Batch, ctx: ForwardContext): Outputs {
    const features = outputs.features;
    if (!features) {
      throw new GraftError(ErrorCodes.DATA, 'the model returned no `features`', { plugin: this.meta.name, received: Object.keys(outputs) });
    }
    const D = ctx.params.get(this.options.embedding).shape[1]!;
    if (features.shape[features.rank - 1] !== D) {
      throw new GraftError(ErrorCodes.DATA, `features of width ${features.shape[features.rank - 1]} for a ${D}-wide embedding`, {
        plugin: this.meta.name,
        option: 'embedding',
        expected: `features [..., ${D}]`,
        received: `[${features.shape}]`,
      });
    }
    return withOutput(outputs, 'logits', mlmLogits(ctx.params, features, this.options.embedding, ctx.training, this.options.layerNormEps));
  }

  layerGroups(): ParamPattern[] {
    return ['head.**'];
  }
}
