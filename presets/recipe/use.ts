import { ErrorCodes, GraftError, type GraftPlugin, type OptionSchema, type PluginClass, type PluginMeta } from '../../core/index.ts';
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

/**
 * What an empty slot holds: no plugin. A recipe's data never builds it (`toStageSpec` leaves the
 * slot out), so a slot can be empty by default (`emptySlot('method')`, one that a choice fills) or
 * emptied by a choice (`choice(slot, { full: null, ... })`). It has no options, so no keys.
 */
export class EmptySlot implements GraftPlugin {
  static readonly meta = { name: 'none', kind: 'none', description: 'No plugin: an empty slot of a recipe' } as const satisfies PluginMeta;
  static readonly options = {} as const satisfies OptionSchema;
  readonly meta = EmptySlot.meta;
  constructor() {
    throw new GraftError(ErrorCodes.INTERNAL, 'an empty slot stands for "no plugin" and is never built', { hint: 'Build recipe stages with toStageSpec' });
  }
  apply(): void {}
}

/** `emptySlot('method')`: a named slot of a stage with no plugin in it, which a `choice` may fill. */
export function emptySlot(slot: string): Use<typeof EmptySlot> {
  return { plugin: EmptySlot, options: {}, slot };
}

/** Whether `u` is an empty slot (no plugin). */
export function isEmptySlot(u: Use): boolean {
  return u.plugin === (EmptySlot as unknown);
}
