import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  resolveOptions,
  type Batch,
  type DecodeState,
  type ForwardContext,
  type InputOptions,
  type ModelPlugin,
  type Outputs,
  type ParamPattern,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { causalMask, paddingBias } from './causalMask.ts';
import { createGptParameters } from './createGptParameters.ts';
import { gptBackbone, SEG_EMBED } from './gptBackbone.ts';
import type { LayerKv } from './selfAttention.ts';
import { gptParameterCount, type GptShape } from './parameterCount.ts';

export const GPT_OPTIONS = {
  vocabSize: {
    type: 'integer',
    min: 1,
    doc: "Rows of the token embedding. Default: the tokenizer's vocabSize, read at build time.",
  },
  contextLength: { type: 'integer', default: 128, min: 1, doc: 'Longest sequence the model accepts (rows of the position embedding).' },
  nLayers: { type: 'integer', default: 4, min: 1, doc: 'Transformer blocks.' },
  nHeads: { type: 'integer', default: 4, min: 1, doc: 'Attention heads per block; must divide dModel.' },
  dModel: { type: 'integer', default: 128, min: 1, doc: 'Width of the residual stream.' },
  mlpRatio: { type: 'number', default: 4, min: 0, exclusiveMin: true, doc: 'MLP hidden width as a multiple of dModel (rounded).' },
  dropout: { type: 'number', default: 0.1, min: 0, max: 0.99, doc: 'Dropout on embeddings, attention probabilities and residual branches (training only).' },
  bias: { type: 'boolean', default: true, doc: 'Biases in the linear layers (LayerNorms always have beta).' },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Std of the normal init (GPT-2); residual projections get initStd/sqrt(2*nLayers).' },
  activationCheckpointing: {
    type: 'boolean',
    default: false,
    doc: "Keep only each block's input for the backward pass and recompute the block there: activation memory of one block instead of all of them, for about one more forward pass a step (training only; same gradients).",
  },
  causal: { type: 'boolean', default: true, doc: 'Causal (GPT) self-attention; false gives a bidirectional (BERT-style) encoder.' },
  segmentVocabSize: {
    type: 'integer',
    default: 0,
    min: 0,
    doc: 'Segment (token-type) embeddings backbone.segEmbed [S, dModel], added to token + position embeddings, read from batch.segments int32 [B, T] (segment 0 when absent); 0: none.',
  },
} as const satisfies OptionSchema;

export type GptOptions = InputOptions<typeof GPT_OPTIONS>;

/**
 * `model:gpt`: a GPT-2 style decoder (or, with `causal: false`, a BERT-style encoder) over
 * `batch.inputs` [B, T] int32, returning `{ features: [B, T, dModel] }`.
 */
export class GptModel implements ModelPlugin {
  static readonly meta = { name: 'model:gpt', kind: 'model', description: 'GPT decoder: token+position embeddings, pre-LN transformer blocks' } as const satisfies PluginMeta;
  static readonly options = GPT_OPTIONS;
  readonly meta = GptModel.meta;
  readonly options: ResolvedOptions<typeof GPT_OPTIONS>;
  private resolvedVocab: number | undefined;
  /** Causal masks per sequence length, kept across steps (freed in dispose). */
  private readonly masks = new Map<number, tf.Tensor2D>();

  constructor(options: GptOptions = {}) {
    this.options = resolveOptions(this.meta.name, GPT_OPTIONS, options);
    const { dModel, nHeads } = this.options;
    if (dModel % nHeads !== 0) {
      throw new GraftError(ErrorCodes.BAD_OPTION, `dModel ${dModel} is not divisible by nHeads`, {
        plugin: this.meta.name,
        option: 'nHeads',
        expected: `a divisor of dModel (${dModel})`,
        received: nHeads,
      });
    }
    this.resolvedVocab = this.options.vocabSize;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap(
      'setup',
      this,
      () => {
        this.resolvedVocab = this.options.vocabSize ?? vocabFromTokenizer(trainer);
        createGptParameters(trainer.params, trainer.rng.fork(this.meta.name), { ...this.shape, initStd: this.options.initStd }, this.meta.name);
      },
      { stage: 'build' },
    );
  }

  /** Vocabulary size: the option, or the tokenizer's once the model is built. */
  get vocabSize(): number | undefined {
    return this.resolvedVocab;
  }

  /** Width of `features`: dModel. */
  get featureSize(): number {
    return this.options.dModel;
  }

  /** Longest sequence the model accepts. */
  get contextLength(): number {
    return this.options.contextLength;
  }

  /** Causal (decoder) self-attention, or bidirectional (encoder). */
  get causal(): boolean {
    return this.options.causal;
  }

  /** The sizes that define the parameters (vocabSize must be known: given, or after build). */
  get shape(): GptShape {
    const o = this.options;
    if (this.resolvedVocab === undefined) {
      throw new GraftError(ErrorCodes.INTERNAL, 'vocabSize is not known before the model is built', { plugin: this.meta.name, option: 'vocabSize' });
    }
    return {
      vocabSize: this.resolvedVocab,
      contextLength: o.contextLength,
      nLayers: o.nLayers,
      dModel: o.dModel,
      mlpHidden: Math.max(1, Math.round(o.mlpRatio * o.dModel)),
      bias: o.bias,
      segmentVocabSize: o.segmentVocabSize,
    };
  }

  /** Number of learned scalars this model creates (formula, no store needed). */
  parameterCount(): number {
    return gptParameterCount(this.shape);
  }

  forward(batch: Batch, ctx: ForwardContext): Outputs {
    const ids = batch.inputs;
    if (!ids || ids.rank !== 2) {
      throw new GraftError(ErrorCodes.DATA, 'expects batch.inputs as int32 [batch, time]', {
        plugin: this.meta.name,
        received: ids ? `shape [${ids.shape}]` : `keys ${Object.keys(batch).join(', ') || '(none)'}`,
      });
    }
    const T = ids.shape[1]!;
    if (T > this.options.contextLength) {
      throw new GraftError(ErrorCodes.DATA, `sequence length ${T} exceeds the context length`, {
        plugin: this.meta.name,
        option: 'contextLength',
        expected: `sequences of at most ${this.options.contextLength} tokens (or a larger contextLength)`,
        received: T,
      });
    }
    const o = this.options;
    let bias: tf.Tensor | null = o.causal ? this.mask(T) : null;
    if (batch.lengths) {
      const pad = paddingBias(batch.lengths, T);
      bias = bias ? tf.add(bias, pad) : pad; // [B, 1, T, T] or [B, 1, 1, T]
    }
    const segments = o.segmentVocabSize > 0 ? this.segments(batch, ids) : undefined;
    const features = gptBackbone(ctx, ids, { nLayers: o.nLayers, nHeads: o.nHeads, dropout: o.dropout, checkpoint: o.activationCheckpointing }, bias, segments);
    return { features };
  }

  /**
   * Incremental decoding (key/value cache), for a causal model without segments: the first call
   * runs the prompt and keeps every layer's keys and values; each later call runs only the new
   * tokens at their positions, attending over the cache. Features equal `forward`'s of the whole
   * sequence (to float rounding). The window cannot pass `contextLength` (absolute positions):
   * generation then recomputes from the last `contextLength` tokens.
   */
  forwardIncremental(batch: Batch, ctx: ForwardContext, state: DecodeState | undefined): { outputs: Outputs; state: DecodeState } {
    const o = this.options;
    const ids = batch.inputs;
    if (!o.causal || o.segmentVocabSize > 0 || batch.lengths) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'incremental decoding needs a causal model without segments or padding', { plugin: this.meta.name, option: o.causal ? 'segmentVocabSize' : 'causal' });
    }
    if (!ids || ids.rank !== 2) throw new GraftError(ErrorCodes.DATA, 'expects batch.inputs as int32 [batch, time]', { plugin: this.meta.name });
    const past = state as GptDecodeState | undefined;
    const offset = past?.length ?? 0;
    const T = ids.shape[1]!;
    if (offset + T > o.contextLength) {
      throw new GraftError(ErrorCodes.DATA, `incremental decoding past the context length (${offset} + ${T} > ${o.contextLength})`, { plugin: this.meta.name, option: 'contextLength' });
    }
    // A new token attends to every cached one and itself: a mask only for the prompt (made here,
    // not cached as `forward`'s are: prompts come in every length).
    const bias = T === 1 ? null : causalMask(T);
    if (T > 1 && offset > 0) throw new GraftError(ErrorCodes.INTERNAL, 'incremental decoding takes several tokens only on the first call', { plugin: this.meta.name });
    const out: Partial<LayerKv>[] = [];
    const features = gptBackbone(ctx, ids, { nLayers: o.nLayers, nHeads: o.nHeads, dropout: o.dropout }, bias, undefined, { offset, past: past?.layers, out });
    return { outputs: { features }, state: new GptDecodeState(offset + T, out as LayerKv[]) };
  }

  layerGroups(): ParamPattern[] {
    const groups: ParamPattern[] = [this.options.segmentVocabSize > 0 ? ['backbone.tokEmbed', 'backbone.posEmbed', SEG_EMBED] : ['backbone.tokEmbed', 'backbone.posEmbed']];
    for (let i = 0; i < this.options.nLayers; i++) groups.push(`backbone.blocks.${i}.**`);
    groups.push('backbone.lnF.**');
    return groups;
  }

  dispose(): void {
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }

  /** `batch.segments` int32 [B, T] (checked against the inputs), or null: every position is segment 0. */
  private segments(batch: Batch, ids: tf.Tensor): tf.Tensor | null {
    const seg = batch.segments;
    if (seg === undefined) return null;
    if (seg.dtype !== 'int32' || seg.rank !== 2 || seg.shape[0] !== ids.shape[0] || seg.shape[1] !== ids.shape[1]) {
      throw new GraftError(ErrorCodes.DATA, 'batch.segments must be int32 [batch, time], the shape of batch.inputs', {
        plugin: this.meta.name,
        option: 'segmentVocabSize',
        expected: `int32 [${ids.shape}] with ids in [0, ${this.options.segmentVocabSize})`,
        received: `${seg.dtype} [${seg.shape}]`,
      });
    }
    return seg;
  }

  private mask(T: number): tf.Tensor2D {
    let m = this.masks.get(T);
    if (!m) {
      m = tf.keep(causalMask(T));
      this.masks.set(T, m);
    }
    return m;
  }
}

/** The key/value cache: every layer's keys and values [B*H, length, hd], kept out of any tidy. */
class GptDecodeState implements DecodeState {
  constructor(readonly length: number, readonly layers: LayerKv[]) {
    for (const l of layers) {
      tf.keep(l.k);
      tf.keep(l.v);
    }
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose([l.k, l.v]);
  }
}

function vocabFromTokenizer(trainer: TrainerApi): number {
  const tok = trainer.maybeRole('tokenizer');
  if (!tok) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'vocabSize is not set and the recipe has no tokenizer to take it from', {
      plugin: GptModel.meta.name,
      option: 'vocabSize',
      hint: 'Set vocabSize, or add a tokenizer plugin',
    });
  }
  return tok.tokenizer.vocabSize;
}
