import * as tf from '@tensorflow/tfjs-core';
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
  type PluginState,
  type ResolvedOptions,
  type Rng,
  type TrainerApi,
  type PluginMeta,
  scaledDropout,
} from '../../../core/index.ts';
import { activationRegularization, temporalActivationRegularization } from './activationRegularization.ts';
import { embeddingDropout } from '../shared/embeddingDropout.ts';
import { resolveVocabSize } from '../shared/vocabSize.ts';
import { lockedDropout } from './lockedDropout.ts';
import { lstmLayer } from './lstm.ts';
import { AWD_LSTM_OPTIONS, type AwdLstmOptionsInput } from './options.ts';
import { weightDropout } from './weightDropout.ts';

/** Name of the embedding matrix; `head:lm` ties its decoder to it. */
export const AWD_LSTM_EMBEDDING = 'backbone.tokEmbed';

/**
 * AWD-LSTM (Merity et al. 2017), the backbone of ULMFiT: an embedding and a stack of LSTM layers
 * with embedding, locked, weight (DropConnect) dropout and AR/TAR regularisation.
 *
 * Each batch starts from a zero hidden state (no state carried between batches), so
 * backpropagation through time spans exactly one batch's sequence length. Padding must be on the
 * right: positions after a sequence's length then cannot affect its earlier states.
 */
export class AwdLstmModel implements ModelPlugin {
  static readonly meta = {
    name: 'model:awd-lstm',
    kind: 'model',
    description: 'AWD-LSTM: embedding + stacked LSTMs with embedding/locked/weight dropout and AR/TAR (ULMFiT backbone)',
  } as const satisfies PluginMeta;
  static readonly options = AWD_LSTM_OPTIONS;
  readonly meta = AwdLstmModel.meta;
  readonly options: Readonly<ResolvedOptions<typeof AWD_LSTM_OPTIONS>>;
  /** Draws the DropConnect masks; its state is checkpointed so a resumed run is exact. */
  private weightRng: Rng | undefined;
  private vocab: number | undefined;

  constructor(input: AwdLstmOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, AWD_LSTM_OPTIONS, input);
  }

  /** Width of `features` (the last layer's hidden size, = embSize). */
  get featureSize(): number {
    return this.options.embSize;
  }

  /** The vocabulary size the model was built with (after setup). */
  get vocabSize(): number | undefined {
    return this.vocab;
  }

  /** Hidden size of layer `i`: the last one is embSize, so a decoder can be tied to the embedding. */
  layerSize(i: number): number {
    return i === this.options.nLayers - 1 ? this.options.embSize : this.options.hiddenSize;
  }

  apply(trainer: TrainerApi): void {
    const o = this.options;
    this.weightRng = trainer.rng.fork(`${this.meta.name}/weight-dropout`);
    trainer.tap('setup', this, () => this.build(trainer), { stage: 'build' });
    if (o.alpha > 0 || o.beta > 0) {
      trainer.tap('onLoss', this, (loss, ctx) => this.addRegularisation(loss, ctx.modelOutputs), { stage: 'transform' });
    }
  }

  private build(trainer: TrainerApi): void {
    const o = this.options;
    const V = resolveVocabSize(trainer, this.meta.name, o.vocabSize);
    this.vocab = V;
    const rng = trainer.rng.fork(this.meta.name);
    const params = trainer.params;
    params.create(AWD_LSTM_EMBEDDING, [V, o.embSize], uniformInit(rng, V * o.embSize, o.initRange), { owner: this.meta.name, decay: true });
    let inSize = o.embSize;
    for (let i = 0; i < o.nLayers; i++) {
      const H = this.layerSize(i);
      // PyTorch's LSTM init: every weight and bias uniform in ±1/sqrt(H)
      const k = 1 / Math.sqrt(H);
      params.create(`backbone.rnn.${i}.wih`, [inSize, 4 * H], uniformInit(rng, inSize * 4 * H, k), { owner: this.meta.name, decay: true });
      params.create(`backbone.rnn.${i}.whh`, [H, 4 * H], uniformInit(rng, H * 4 * H, k), { owner: this.meta.name, decay: true });
      params.create(`backbone.rnn.${i}.bias`, [4 * H], uniformInit(rng, 4 * H, k), { owner: this.meta.name, decay: false });
      inSize = H;
    }
    const weightP = scaledDropout(o.weightDropout, o.dropMult);
    if (weightP > 0) params.addTransform(this.meta.name, 'backbone.rnn.*.whh', weightDropout(weightP, this.weightRng!));
  }

  forward(batch: Batch, ctx: ForwardContext): Outputs {
    const ids = batch.inputs;
    if (!ids || ids.rank !== 2) {
      throw new GraftError(ErrorCodes.DATA, 'needs batch.inputs, int32 token ids [B, T]', {
        plugin: this.meta.name,
        received: ids ? `shape [${ids.shape}]` : Object.keys(batch),
      });
    }
    const o = this.options;
    const { params, training, rng } = ctx;
    const table = params.read(AWD_LSTM_EMBEDDING, training);
    let x = ctx.intercept('backbone.embed', embeddingDropout(table, ids, scaledDropout(o.embedDropout, o.dropMult), training, rng));
    x = lockedDropout(x, scaledDropout(o.inputDropout, o.dropMult), training, rng);
    let raw: tf.Tensor = x;
    for (let i = 0; i < o.nLayers; i++) {
      const p = `backbone.rnn.${i}`;
      raw = ctx.intercept(p, lstmLayer(x, {
        wih: params.read(`${p}.wih`, training),
        whh: params.read(`${p}.whh`, training),
        bias: params.read(`${p}.bias`, training),
      }));
      x = i < o.nLayers - 1 ? lockedDropout(raw, scaledDropout(o.hiddenDropout, o.dropMult), training, rng) : raw;
    }
    const dropped = lockedDropout(raw, scaledDropout(o.outputDropout, o.dropMult), training, rng);
    // AR reads `features` (= the last layer after output dropout), TAR `rawHidden`.
    const out: Outputs = { features: dropped, rawHidden: raw };
    if (batch.lengths) out.lengths = batch.lengths;
    return out;
  }

  /**
   * AR and TAR on the last layer's outputs, read from this model's own outputs (`ctx.modelOutputs`,
   * whatever the head returned); runs inside the gradient tape, so both are learned from.
   */
  private addRegularisation(loss: tf.Scalar, outputs: Outputs): tf.Scalar {
    const { alpha, beta } = this.options;
    const raw = outputs.rawHidden;
    const dropped = outputs.features;
    if (!raw || !dropped) {
      throw new GraftError(ErrorCodes.INTERNAL, 'the model\'s rawHidden / features are missing at onLoss', { plugin: this.meta.name });
    }
    let total = loss;
    if (alpha > 0) total = tf.add(total, activationRegularization(dropped, alpha));
    if (beta > 0) total = tf.add(total, temporalActivationRegularization(raw, beta));
    return total;
  }

  layerGroups(): ParamPattern[] {
    const groups: ParamPattern[] = [AWD_LSTM_EMBEDDING];
    for (let i = 0; i < this.options.nLayers; i++) groups.push(`backbone.rnn.${i}.*`);
    return groups;
  }

  getState(): PluginState {
    return { json: { weightRng: this.weightRng?.getState() } };
  }

  setState(state: PluginState): void {
    const s = state.json as { weightRng?: number } | undefined;
    if (s?.weightRng !== undefined) this.weightRng?.setState(s.weightRng);
  }
}
