import type { ServiceIdentifier } from 'inversify';
import type { Logger } from 'winston';
import type { TrainerHooks } from '../hooks/TrainerHooks.ts';
import type { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import type { DatasetPlugin, HeadPlugin, ModelPlugin, ObjectivePlugin, OptimizerPlugin, TokenizerPlugin } from '../plugin/roles.ts';
import type { Rng } from '../random/index.ts';
import type { TrainerOptions } from '../trainer/TrainerOptions.ts';

/**
 * The container's tokens. A preset binds a plugin to its role token; rebinding that token
 * (`container.rebind(TOKENS.Optimizer).toConstantValue(new SgdOptimizer(...))`) replaces one
 * part of the recipe. Plugins that fill no role are bound (many times) to `TOKENS.Plugin`.
 */
export const TOKENS = {
  TrainerOptions: Symbol.for('graft.TrainerOptions') as ServiceIdentifier<TrainerOptions>,
  Logger: Symbol.for('graft.Logger') as ServiceIdentifier<Logger>,
  Hooks: Symbol.for('graft.Hooks') as ServiceIdentifier<TrainerHooks>,
  Params: Symbol.for('graft.Params') as ServiceIdentifier<ParameterStore>,
  Rng: Symbol.for('graft.Rng') as ServiceIdentifier<Rng>,
  Model: Symbol.for('graft.role.model') as ServiceIdentifier<ModelPlugin>,
  Head: Symbol.for('graft.role.head') as ServiceIdentifier<HeadPlugin>,
  Objective: Symbol.for('graft.role.objective') as ServiceIdentifier<ObjectivePlugin>,
  Optimizer: Symbol.for('graft.role.optimizer') as ServiceIdentifier<OptimizerPlugin>,
  Dataset: Symbol.for('graft.role.dataset') as ServiceIdentifier<DatasetPlugin>,
  Tokenizer: Symbol.for('graft.role.tokenizer') as ServiceIdentifier<TokenizerPlugin>,
  /** Every other plugin: schedulers, freezing, metrics, loggers, checkpoints, callbacks. */
  Plugin: Symbol.for('graft.Plugin') as ServiceIdentifier<GraftPlugin>,
  /** All plugins of the recipe, roles first; resolved by the core module. */
  PluginSet: Symbol.for('graft.PluginSet') as ServiceIdentifier<GraftPlugin[]>,
} as const;

/** Role kind → its token. */
export const ROLE_TOKENS = {
  model: TOKENS.Model,
  head: TOKENS.Head,
  objective: TOKENS.Objective,
  optimizer: TOKENS.Optimizer,
  dataset: TOKENS.Dataset,
  tokenizer: TOKENS.Tokenizer,
} as const;
