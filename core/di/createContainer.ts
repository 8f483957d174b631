import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import type { Logger } from 'winston';
import { TrainerHooks } from '../hooks/TrainerHooks.ts';
import { createLogger } from '../logging/createLogger.ts';
import { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { Rng } from '../random/index.ts';
import { Trainer } from '../trainer/Trainer.ts';
import { resolveTrainerOptions, type TrainerOptions, type TrainerOptionsInput } from '../trainer/TrainerOptions.ts';
import { orderByDependencies, slotNames, slotToken } from './slots.ts';
import { TOKENS } from './tokens.ts';

/**
 * The core bindings: options, logger, hooks, parameter store, root RNG, the plugin set and the
 * Trainer. Everything is a singleton within one container, i.e. one run.
 */
export function coreModule(options: TrainerOptionsInput = {}, logger?: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const resolved = resolveTrainerOptions(options);
    bind(TOKENS.TrainerOptions).toConstantValue(resolved);
    bind(TOKENS.Logger).toConstantValue(logger ?? createLogger());
    bind(TOKENS.Hooks).toDynamicValue(() => new TrainerHooks()).inSingletonScope();
    bind(TOKENS.Params).toDynamicValue(() => new ParameterStore()).inSingletonScope();
    bind(TOKENS.Rng)
      .toDynamicValue((ctx) => new Rng(ctx.get<TrainerOptions>(TOKENS.TrainerOptions).seed))
      .inSingletonScope();
    bind(TOKENS.PluginSet)
      .toDynamicValue((ctx) => {
        const slots = ctx.get(TOKENS.Slots, { optional: true }) ?? [];
        const recipe = slots.map((s) => ctx.get<GraftPlugin>(slotToken(s)));
        const added = ctx.getAll<GraftPlugin>(TOKENS.Plugin, { optional: true }) ?? [];
        return orderByDependencies([...recipe, ...added]);
      })
      .inSingletonScope();
    bind(Trainer).toSelf().inSingletonScope();
  });
}

/**
 * A ContainerModule binding plugin instances, each to its slot token (`slots`, default
 * `slotNames`), and the slot order; the trainer applies them in that order (moved only by `dependsOn`).
 */
export function pluginsModule(plugins: readonly GraftPlugin[], slots: readonly string[] = slotNames(plugins)): ContainerModule {
  if (slots.length !== plugins.length || new Set(slots).size !== slots.length) {
    throw new GraftError(ErrorCodes.INTERNAL, `slot names must be one per plugin and unique: [${slots.join(', ')}] for ${plugins.length} plugins`);
  }
  return new ContainerModule(({ bind }) => {
    slots.forEach((s, i) => bind(slotToken(s)).toConstantValue(plugins[i]!));
    bind(TOKENS.Slots).toConstantValue([...slots]);
  });
}

/** A ContainerModule adding plugins outside the recipe's slots (`TOKENS.Plugin`): applied after the recipe's. */
export function addPlugins(plugins: readonly GraftPlugin[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const p of plugins) bind(TOKENS.Plugin).toConstantValue(p);
  });
}

/** A ContainerModule replacing the plugin in `slot` (see `slotNames`): the part runs where the old one did. */
export function replaceSlot(slot: string, plugin: GraftPlugin): ContainerModule {
  return new ContainerModule(({ rebind }) => {
    rebind(slotToken(slot)).toConstantValue(plugin);
  });
}

export interface Recipe {
  /** Plugin instances. */
  plugins?: readonly GraftPlugin[];
  /** Their slot names, one per plugin (default `slotNames(plugins)`): a recipe names its slots so its keys and DI agree. */
  slots?: readonly string[];
  /** Extra container modules, loaded after the plugins (they may rebind a slot: `replaceSlot`). */
  modules?: readonly ContainerModule[];
  options?: TrainerOptionsInput;
  logger?: Logger;
}

export function createContainer(recipe: Recipe = {}): Container {
  const container = new Container();
  container.load(coreModule(recipe.options, recipe.logger));
  if (recipe.plugins?.length) container.load(pluginsModule(recipe.plugins, recipe.slots));
  for (const m of recipe.modules ?? []) container.load(m);
  return container;
}

/** Build a trainer from a recipe: the usual entry point in code. */
export function createTrainer(recipe: Recipe = {}): Trainer {
  return createContainer(recipe).get(Trainer);
}
