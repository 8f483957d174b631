import { TRAINER_OPTIONS, type OptionSpec } from '../../core/index.ts';
import { effectiveUses, slotsOf, type RecipeStage } from './stage.ts';
import type { Recipe } from './recipe.ts';

/** The slot name of a stage's trainer options in keys (`pretrain.trainer.maxSteps`). */
export const TRAINER_SLOT = 'trainer';

/**
 * A configuration key derived from a plugin's own schema: `<stage>.<slot>.<option>`
 * (`pretrain.optimizer.beta1`, `pretrain.grad-clip.maxNorm`), or `<stage>.trainer.<option>` for
 * the stage's trainer options. Its spec and doc are the owner's; nothing is re-declared.
 */
export interface ConfigKey {
  readonly key: string;
  readonly stage: string;
  /** The slot, or `trainer`. */
  readonly slot: string;
  readonly option: string;
  readonly spec: OptionSpec;
  /** The plugin that owns the option (`optimizer:adamw`), or `trainer`. */
  readonly owner: string;
  /** Whether the recipe gives the option a value (else the owner's default applies). */
  readonly given: boolean;
  /** The recipe's value (hand-overs as data), or the owner's default. */
  readonly value: unknown;
}

/** Every key of a stage, slot by slot in recipe order (the plugin a swap put in a slot gives that slot's keys), then its trainer options. */
export function stageKeys(s: RecipeStage): ConfigKey[] {
  const slots = slotsOf(s);
  const uses = effectiveUses(s);
  const out: ConfigKey[] = [];
  uses.forEach((u, i) => {
    const slot = slots[i]!;
    for (const [option, spec] of Object.entries(u.plugin.options)) {
      const given = Object.hasOwn(u.options, option) && u.options[option] !== undefined;
      out.push({ key: `${s.name}.${slot}.${option}`, stage: s.name, slot, option, spec, owner: u.plugin.meta.name, given, value: given ? u.options[option] : spec.default });
    }
  });
  for (const [option, spec] of Object.entries(TRAINER_OPTIONS) as [string, OptionSpec][]) {
    const given = Object.hasOwn(s.trainer, option) && (s.trainer as Record<string, unknown>)[option] !== undefined;
    const value = given ? (s.trainer as Record<string, unknown>)[option] : spec.default;
    out.push({ key: `${s.name}.${TRAINER_SLOT}.${option}`, stage: s.name, slot: TRAINER_SLOT, option, spec, owner: TRAINER_SLOT, given, value });
  }
  return out;
}

/** Every key of every stage of the recipe, in stage order. */
export function recipeKeys(r: Pick<Recipe, 'stages'>): ConfigKey[] {
  return r.stages.flatMap(stageKeys);
}
