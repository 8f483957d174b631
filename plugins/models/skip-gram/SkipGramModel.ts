import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  type Batch,
  type ForwardContext,
  type InputOptions,
  type ModelPlugin,
  type OptionSchema,
  type Outputs,
  type ParamPattern,
  type PluginMeta,
  type ResolvedOptions,
  type TrainerApi,
} from '../../../core/index.ts';
import { createSkipGramParameters, INPUT_EMBED, OUTPUT_EMBED } from './createSkipGramParameters.ts';
import { skipGramForward } from './skipGramForward.ts';

export const SKIP_GRAM_MODEL_OPTIONS = {
  vocabSize: { type: 'integer', min: 1, doc: "Rows of both embeddings. Default: the tokenizer's vocabSize, read at build time." },
  dim: { type: 'integer', default: 100, min: 1, doc: 'Dimension of the word vectors.' },
} as const satisfies OptionSchema;

export type SkipGramModelOptions = InputOptions<typeof SKIP_GRAM_MODEL_OPTIONS>;

/**
 * `model:skip-gram`: word2vec's two embeddings. `backbone.tokEmbed` [V, dim] holds the input
 * (centre) vectors v, the word vectors one exports, under the name every Graft model gives its
 * token embedding so `init:pretrained-embeddings` and `init:from-checkpoint` move them between
 * models; `backbone.ctxEmbed` [V, dim] holds the output (context) vectors u. word2vec.c's init:
 * v uniform in ±0.5/dim, u zeros. On a batch of `dataset:skip-gram` it returns `features` = v_c
 * [B, dim] and `logits` [B, 1 + K] = (u_o·v_c, u_k·v_c), the scores `objective:skip-gram` reads;
 * without `targets` only `features` (the word vectors of `inputs`, any shape).
 */
export class SkipGramModel implements ModelPlugin {
  static readonly meta = {
    name: 'model:skip-gram',
    kind: 'model',
    description: 'Skip-gram word vectors: input embedding backbone.tokEmbed and output embedding backbone.ctxEmbed (word2vec)',
  } as const satisfies PluginMeta;
  static readonly options = SKIP_GRAM_MODEL_OPTIONS;
  readonly meta = SkipGramModel.meta;
  readonly options: ResolvedOptions<typeof SKIP_GRAM_MODEL_OPTIONS>;
  private resolvedVocab: number | undefined;

  constructor(options: SkipGramModelOptions = {}) {
    this.options = resolveOptions(this.meta.name, SKIP_GRAM_MODEL_OPTIONS, options);
    this.resolvedVocab = this.options.vocabSize;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap(
      'setup',
      this,
      () => {
        this.resolvedVocab = this.options.vocabSize ?? vocabFromTokenizer(trainer);
        createSkipGramParameters(trainer.params, trainer.rng.fork(this.meta.name), this.resolvedVocab, this.options.dim, this.meta.name);
      },
      { stage: 'build' },
    );
  }

  get vocabSize(): number | undefined {
    return this.resolvedVocab;
  }

  /** Width of `features`: the vector dimension. */
  get featureSize(): number {
    return this.options.dim;
  }

  forward(batch: Batch, ctx: ForwardContext): Outputs {
    const ids = batch.inputs;
    if (!ids || ids.dtype !== 'int32') {
      throw new GraftError(ErrorCodes.DATA, 'expects batch.inputs: int32 centre-word ids', {
        plugin: this.meta.name,
        received: ids ? `${ids.dtype} [${ids.shape}]` : `keys ${Object.keys(batch).join(', ') || '(none)'}`,
      });
    }
    const { targets, negatives } = batch;
    if (targets === undefined) return skipGramForward(ctx.params, ids, undefined, undefined, ctx.training);
    if (ids.rank !== 1 || targets.rank !== 1 || targets.shape[0] !== ids.shape[0] || (negatives && (negatives.rank !== 2 || negatives.shape[0] !== ids.shape[0]))) {
      throw new GraftError(ErrorCodes.DATA, 'expects inputs [B], targets [B] and negatives [B, K] (int32), as dataset:skip-gram makes them', {
        plugin: this.meta.name,
        received: `inputs [${ids.shape}], targets [${targets.shape}], negatives ${negatives ? `[${negatives.shape}]` : 'missing'}`,
      });
    }
    return skipGramForward(ctx.params, ids, targets, negatives, ctx.training);
  }

  layerGroups(): ParamPattern[] {
    return [[OUTPUT_EMBED, INPUT_EMBED]];
  }
}

function vocabFromTokenizer(trainer: TrainerApi): number {
  const tok = trainer.maybeRole('tokenizer');
  if (!tok) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'vocabSize is not set and the recipe has no tokenizer to take it from', {
      plugin: SkipGramModel.meta.name,
      option: 'vocabSize',
      hint: 'Set vocabSize, or add a tokenizer plugin (tokenizer:word)',
    });
  }
  return tok.tokenizer.vocabSize;
}
