import type * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchCounts, Outputs, Split } from '../data/Batch.ts';
import type { Tokenizer } from '../data/Tokenizer.ts';
import type { GradMap, StepContext } from '../hooks/contexts.ts';
import type { ParameterStore, ParamPattern } from '../params/index.ts';
import type { Rng } from '../random/index.ts';
import type { GraftPlugin } from './Plugin.ts';

/**
 * What the forward pass sees. `training` switches dropout and statistics updates; `rng` gives
 * dropout seeds; `intercept` passes a named module output through any interceptors registered
 * for it (adapters), and is free when there are none.
 */
export interface ForwardContext {
  readonly training: boolean;
  readonly params: ParameterStore;
  readonly rng: Rng;
  intercept(name: string, x: tf.Tensor): tf.Tensor;
  /**
   * Whether an interceptor is registered for `name` (false: `intercept(name, x)` returns x). A
   * model may skip work it does only for interceptors, e.g. reshaping an output to the shape the
   * interceptor contract names; undefined means unknown, so intercept as always.
   */
  intercepts?(name: string): boolean;
}

/**
 * The backbone. It creates its parameters (under `backbone.`) in `setup` at stage `build`, and
 * maps a batch to outputs with at least `features`. `layerGroups` lists its parameters bottom
 * to top, so freezing and discriminative learning rates work on any model without knowing it.
 * Other plugins read the model's facts through the optional fields below (undefined = the model
 * does not say), never through casts of its `options`.
 */
export interface ModelPlugin extends GraftPlugin {
  /** Width of `features` (last axis), once known: heads size themselves from it. */
  readonly featureSize?: number;
  /** Rows of the token embedding, once known (given, or from the tokenizer after setup). */
  readonly vocabSize?: number;
  /** Longest input sequence the model accepts (generation's window); undefined if unbounded. */
  readonly contextLength?: number;
  /** True if position t sees only positions <= t (a decoder); false for a bidirectional encoder. */
  readonly causal?: boolean;
  forward(batch: Batch, ctx: ForwardContext): Outputs;
  /**
   * Optional, for decoders: incremental decoding with a key/value cache. `batch.inputs` [B, T] are
   * the tokens after the `state.length` ones `state` holds (all of them when `state` is undefined);
   * returns the features of those tokens, as `forward` of the whole sequence would give them, and
   * the new state. The caller disposes every state it receives. Generation uses it when present.
   */
  forwardIncremental?(batch: Batch, ctx: ForwardContext, state: DecodeState | undefined): { outputs: Outputs; state: DecodeState };
  layerGroups(): ParamPattern[];
}

/** What a model keeps between incremental decoding calls (its key/value cache); opaque to callers. */
export interface DecodeState {
  /** Tokens seen so far. */
  readonly length: number;
  dispose(): void;
}

/** The head: maps backbone outputs to task outputs (`logits`). Parameters under `head.`. */
export interface HeadPlugin extends GraftPlugin {
  forward(outputs: Outputs, batch: Batch, ctx: ForwardContext): Outputs;
  layerGroups(): ParamPattern[];
}

/** The objective: the loss to minimise, a scalar, from outputs and batch. */
export interface ObjectivePlugin extends GraftPlugin {
  loss(outputs: Outputs, batch: Batch, ctx: ForwardContext): tf.Scalar;
}

/** A learning-rate group: the first group whose pattern matches a parameter owns it. */
export interface ParamGroupSpec {
  name: string;
  pattern: ParamPattern;
  /** Multiplies the optimizer's learning rate for this group (discriminative rates). */
  lrScale?: number;
  /** Overrides the optimizer's weight decay for this group. */
  weightDecay?: number;
}

/**
 * The optimizer owns its learning rate: `baseLearningRate` is the configured (peak) rate, a
 * scheduler hands over only a multiplier through `setLearningRateMultiplier`, and groups scale
 * the result. The optimizer checkpoints the multiplier; no other plugin writes its fields.
 */
export interface OptimizerPlugin extends GraftPlugin {
  /** The configured learning rate (a scheduler's peak). */
  readonly baseLearningRate: number;
  /** The rate the next step uses: `baseLearningRate × multiplier` (1 until a scheduler sets one); groups scale it. */
  readonly learningRate: number;
  /** Scale the base rate from the next step on (schedulers call it before every optimizer step). */
  setLearningRateMultiplier(multiplier: number): void;
  /** Parameter groups; plugins may replace them during setup (before stage `optimizer`). */
  groups: ParamGroupSpec[];
  /** Effective learning rate of each group right now, for logging and tests. */
  groupRates(): Record<string, number>;
  /** Apply one update to the parameters that have a gradient. */
  step(grads: GradMap, ctx: StepContext): void;
}

export interface BatchOptions {
  epoch: number;
  /** Skip this many batches (resume mid-epoch). */
  from?: number;
}

/**
 * A dataset serves batches of tensors for a split. The order of a split's batches depends only on
 * the run's seed and the epoch, so a run resumed at (epoch, batch) sees exactly the rest of it.
 */
export interface DatasetPlugin extends GraftPlugin {
  batches(split: Split, opts: BatchOptions): IterableIterator<Batch>;
  numBatches(split: Split): number;
  /**
   * Examples and tokens in one of this dataset's batches (after `transformBatch` /
   * `transformEvalBatch`): the evaluation weight and the throughput counts. Optional: without it
   * the trainer uses `batchCounts(batch)`, i.e. the declared `inputs` tensor.
   */
  countsOf?(batch: Batch): BatchCounts;
  /** Number of classes, for classification datasets. */
  readonly numClasses?: number;
  /** Class names in class-id order, for classification datasets. */
  readonly classNames?: readonly string[];
  /** Raw texts of the training split, for fitting a tokenizer (available after stage `data`). */
  trainingTexts?(): string[];
  /** Texts of the training split without labels (target-domain LM fine-tuning). */
  unlabelledTexts?(): string[];
}

export interface TokenizerPlugin extends GraftPlugin {
  readonly tokenizer: Tokenizer;
}

/** Role name → the plugin interface it must satisfy. */
export interface Roles {
  model: ModelPlugin;
  head: HeadPlugin;
  objective: ObjectivePlugin;
  optimizer: OptimizerPlugin;
  dataset: DatasetPlugin;
  tokenizer: TokenizerPlugin;
}

export type RoleName = keyof Roles;

/** Methods each role must have; checked at build so a wrong plugin fails early with a clear error. */
export const ROLE_METHODS: Record<RoleName, readonly string[]> = {
  model: ['forward', 'layerGroups'],
  head: ['forward', 'layerGroups'],
  objective: ['loss'],
  optimizer: ['step', 'groupRates'],
  dataset: ['batches', 'numBatches'],
  tokenizer: [],
};

