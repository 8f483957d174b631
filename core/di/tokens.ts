import type { ServiceIdentifier } from 'inversify';
import type { Logger } from 'winston';
import type { TrainerHooks } from '../hooks/TrainerHooks.ts';
import type { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import type { DatasetPlugin, HeadPlugin, ModelPlugin, ObjectivePlugin, OptimizerPlugin, TokenizerPlugin } from '../plugin/roles.ts';
import type { Rng } from '../random/index.ts';
import type { TrainerOptions } from '../trainer/TrainerOptions.ts';

/**
 * The container's tokens. Each plugin of a recipe is bound to its slot token (`slots.ts`); a role
 * plugin's slot is its kind, so `TOKENS.Optimizer` is the optimizer's slot and rebinding it
 * (`container.rebind(TOKENS.Optimizer).toConstantValue(new SgdOptimizer(...))`) replaces one
 * part of the recipe, in place. Plugins added by container modules bind to `TOKENS.Plugin`.
 */
export const TOKENS = {
  TrainerOptions: Symbol.for('graft.TrainerOptions') as ServiceIdentifier<TrainerOptions>,
  Logger: Symbol.for('graft.Logger') as ServiceIdentifier<Logger>,
  Hooks: Symbol.for('graft.Hooks') as ServiceIdentifier<TrainerHooks>,
  Params: Symbol.for('graft.Params') as ServiceIdentifier<ParameterStore>,
  Rng: Symbol.for('graft.Rng') as ServiceIdentifier<Rng>,
  Model: Symbol.for('graft.slot.model') as ServiceIdentifier<ModelPlugin>,
  Head: Symbol.for('graft.slot.head') as ServiceIdentifier<HeadPlugin>,
  Objective: Symbol.for('graft.slot.objective') as ServiceIdentifier<ObjectivePlugin>,
  Optimizer: Symbol.for('graft.slot.optimizer') as ServiceIdentifier<OptimizerPlugin>,
  Dataset: Symbol.for('graft.slot.dataset') as ServiceIdentifier<DatasetPlugin>,
  Tokenizer: Symbol.for('graft.slot.tokenizer') as ServiceIdentifier<TokenizerPlugin>,
  /** Plugins added by container modules (many bindings), applied after the recipe's. */
  Plugin: Symbol.for('graft.Plugin') as ServiceIdentifier<GraftPlugin>,
  /** The recipe's slot names, in recipe order. */
  Slots: Symbol.for('graft.Slots') as ServiceIdentifier<string[]>,
  /** All plugins: the recipe's in its order, then the modules', sorted only by `dependsOn`. */
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
