import type { Logger } from 'winston';
import type { Split } from '../data/Batch.ts';
import type { Metrics, RunContext } from '../hooks/contexts.ts';
import type { Control } from '../hooks/Control.ts';
import type { StageName } from '../hooks/stages.ts';
import type { HookArgs, HookName, TrainerHooks } from '../hooks/TrainerHooks.ts';
import type { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import type { ForwardContext, RoleName, Roles } from '../plugin/roles.ts';
import type { Rng } from '../random/index.ts';
import type { Resources } from './Resources.ts';
import type { TrainerOptions } from './TrainerOptions.ts';
import type { TrainState } from './TrainState.ts';

export interface TapOptions {
  /** Named stage (see `Stages`); default `'default'`. */
  stage?: StageName;
  /** Run before the taps of these plugins on this hook (a documented pair). */
  before?: string | string[];
}

/** A tap's function: the hook's arguments; async hooks may return a promise. */
export type TapFn<H extends HookName> = (...args: HookArgs<H>) => unknown;

/** Interceptor of a named module output (`backbone.blocks.2.mlp`), for adapters. */
export type OutputInterceptor = (x: import('@tensorflow/tfjs-core').Tensor, info: { name: string; training: boolean }) => import('@tensorflow/tfjs-core').Tensor;

/**
 * What a plugin sees of the trainer. Plugins are written against this interface only.
 */
export interface TrainerApi {
  readonly hooks: TrainerHooks;
  readonly params: ParameterStore;
  readonly state: TrainState;
  readonly options: TrainerOptions;
  readonly logger: Logger;
  /** The run's root random stream; plugins `fork` their own. */
  readonly rng: Rng;
  readonly control: Control;
  /** Typed shared values between plugins (a vocabulary, pre-trained vectors, a run folder). */
  readonly resources: Resources;
  readonly plugins: readonly GraftPlugin[];

  /** The plugin filling a role; throws a coded error naming the role if there is none. */
  role<R extends RoleName>(name: R): Roles[R];
  /** The plugin filling a role, or undefined. */
  maybeRole<R extends RoleName>(name: R): Roles[R] | undefined;
  /** A plugin by full name, or undefined. */
  plugin<P extends GraftPlugin = GraftPlugin>(name: string): P | undefined;

  /** Tap a hook with stage ordering, reverse order on after-hooks, and name checks. */
  tap<H extends HookName>(hook: H, plugin: GraftPlugin | string, fn: TapFn<H>, opts?: TapOptions): void;

  /** Register an interceptor for module outputs whose name matches `pattern` (glob). */
  interceptOutput(owner: string, pattern: string, fn: OutputInterceptor): void;

  /** Model then head on a batch, outside the gradient tape (evaluation, generation). */
  forward(batch: import('../data/Batch.ts').Batch, training?: boolean): import('../data/Batch.ts').Outputs;

  /** The context the forward pass gets (training or not). */
  forwardContext(training: boolean): ForwardContext;

  /** Evaluate on a split; returns metrics (also stored in `state.metrics`). */
  evaluate(split?: Split): Promise<Metrics>;

  /**
   * Save a checkpoint folder (atomically). `{ params: 'trainable' }`: an adapter-only checkpoint,
   * relative to the run's base checkpoint (`CoreResources.baseCheckpoint`; see `SaveOptions`).
   */
  save(dir: string, opts?: { params?: 'all' | 'trainable' }): Promise<void>;

  /** The run context passed to run-level hooks. */
  readonly runContext: RunContext;
}
