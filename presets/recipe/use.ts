import type { PluginClass } from '../../core/index.ts';
import type { HandOver } from './refs.ts';

/** A plugin's options as a recipe gives them: a string option may instead be a hand-over (`checkpointOf('lm')`). */
export type UseOptions<C extends PluginClass> = WithHandOvers<NonNullable<ConstructorParameters<C>[0]>>;

type WithHandOvers<O> = { [K in keyof O]?: O[K] | (NonNullable<O[K]> extends string ? HandOver : never) };

/**
 * One plugin of a stage, as data: its class (which carries its name, kind and option schema), the
 * options the recipe gives it, and, rarely, the name of its slot (default: the slot `slotNames`
 * gives, its kind when it is alone of its kind or fills a role, else its short name).
 */
export interface Use<C extends PluginClass = PluginClass> {
  readonly plugin: C;
  readonly options: Readonly<Record<string, unknown>>;
  /** The slot's name; only for kinds that are not roles (`metric`, `callback`, ...). */
  readonly slot?: string;
}

/**
 * `use(AdamwOptimizer, { lr: 3e-3 })`: a plugin of a stage with the options the recipe gives it
 * (the plugin's constructor validates them when the stage is built; its defaults fill the rest).
 */
export function use<C extends PluginClass>(plugin: C, options: UseOptions<C> = {} as UseOptions<C>, at: { slot?: string } = {}): Use<C> {
  return { plugin, options: { ...(options as Record<string, unknown>) }, ...(at.slot !== undefined ? { slot: at.slot } : {}) };
}
