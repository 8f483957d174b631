import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import type { Logger } from 'winston';
import { TrainerHooks } from '../hooks/TrainerHooks.ts';
import { createLogger } from '../logging/createLogger.ts';
import { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import { Rng } from '../random/index.ts';
import { Trainer } from '../trainer/Trainer.ts';
import { resolveTrainerOptions, type TrainerOptions, type TrainerOptionsInput } from '../trainer/TrainerOptions.ts';
import { ROLE_TOKENS, TOKENS } from './tokens.ts';

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
        const roles = Object.values(ROLE_TOKENS).flatMap((t) => ctx.getAll<GraftPlugin>(t, { optional: true }) ?? []);
        const rest = ctx.getAll<GraftPlugin>(TOKENS.Plugin, { optional: true }) ?? [];
        return [...roles, ...rest];
      })
      .inSingletonScope();
    bind(Trainer).toSelf().inSingletonScope();
  });
}

/**
 * A ContainerModule binding plugin instances: role plugins (model, head, objective, optimizer,
 * dataset, tokenizer) to their role tokens, the rest to `TOKENS.Plugin`.
 */
export function pluginsModule(plugins: readonly GraftPlugin[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    for (const p of plugins) {
      const token = (ROLE_TOKENS as Record<string, symbol>)[p.meta?.kind] ?? TOKENS.Plugin;
      bind(token).toConstantValue(p);
    }
  });
}

export interface Recipe {
  /** Plugin instances. */
  plugins?: readonly GraftPlugin[];
  /** Extra container modules, loaded after the plugins (they may rebind a role). */
  modules?: readonly ContainerModule[];
  options?: TrainerOptionsInput;
  logger?: Logger;
}

export function createContainer(recipe: Recipe = {}): Container {
  const container = new Container();
  container.load(coreModule(recipe.options, recipe.logger));
  if (recipe.plugins?.length) container.load(pluginsModule(recipe.plugins));
  for (const m of recipe.modules ?? []) container.load(m);
  return container;
}

/** Build a trainer from a recipe: the usual entry point in code. */
export function createTrainer(recipe: Recipe = {}): Trainer {
  return createContainer(recipe).get(Trainer);
}
