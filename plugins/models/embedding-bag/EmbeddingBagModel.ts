import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  uniformInit,
  type Batch,
  type ForwardContext,
  type ModelPlugin,
  type Outputs,
  type ParamPattern,
  type PluginMeta,
  type ResolvedOptions,
  type TrainerApi,
} from '../../../core/index.ts';
import { embeddingDropout } from '../shared/embeddingDropout.ts';
import { resolveVocabSize } from '../shared/vocabSize.ts';
import { EMBEDDING_BAG_OPTIONS, type EmbeddingBagOptionsInput } from './options.ts';

/** The token embedding, named as every Graft model names it (init:pretrained-embeddings' default `param`). */
export const BAG_EMBEDDING = 'backbone.tokEmbed';

/**
 * `model:embedding-bag`: a word embedding and nothing above it, the classic model that static
 * word vectors (word2vec, GloVe) initialise. `features` [B, T, dim] are the words' vectors in
 * order; the head pools them (head:classifier with `pooling: ['max', 'mean']` is a max- and
 * mean-pooled bag of embeddings, padding excluded through `lengths`). Word dropout in training.
 */
export class EmbeddingBagModel implements ModelPlugin {
  static readonly meta = {
    name: 'model:embedding-bag',
    kind: 'model',
    description: 'A word embedding whose vectors a head pools (bag of embeddings): the model static word vectors initialise',
  } as const satisfies PluginMeta;
  static readonly options = EMBEDDING_BAG_OPTIONS;
  readonly meta = EmbeddingBagModel.meta;
  readonly options: Readonly<ResolvedOptions<typeof EMBEDDING_BAG_OPTIONS>>;
  private vocab: number | undefined;

  constructor(input: EmbeddingBagOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, EMBEDDING_BAG_OPTIONS, input);
  }

  /** Width of `features`: the embedding's. */
  get featureSize(): number {
    return this.options.dim;
  }

  /** Rows of the embedding (after setup). */
  get vocabSize(): number | undefined {
    return this.vocab;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'build' });
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    const V = resolveVocabSize(trainer, this.meta.name, o.vocabSize);
    this.vocab = V;
    // No weight decay: decay would pull pre-trained vectors towards zero, not towards where they started.
    trainer.params.create(BAG_EMBEDDING, [V, o.dim], uniformInit(trainer.rng.fork(this.meta.name), V * o.dim, o.initRange), { owner: this.meta.name, decay: false });
  }

  forward(batch: Batch, ctx: ForwardContext): Outputs {
    const ids = batch.inputs;
    if (!ids || ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new GraftError(ErrorCodes.DATA, 'needs batch.inputs, int32 token ids [B, T]', {
        plugin: this.meta.name,
        received: ids ? `${ids.dtype} [${ids.shape}]` : Object.keys(batch),
      });
    }
    const table = ctx.params.read(BAG_EMBEDDING, ctx.training);
    const features = ctx.intercept('backbone.embed', embeddingDropout(table, ids, this.options.embedDropout, ctx.training, ctx.rng));
    return batch.lengths ? { features, lengths: batch.lengths } : { features };
  }

  layerGroups(): ParamPattern[] {
    return [BAG_EMBEDDING];
  }
}
