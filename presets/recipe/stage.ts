import { slotNames, type GraftPlugin, type TrainerOptionsInput } from '../../core/index.ts';
import type { Use } from './use.ts';

/**
 * One stage of a recipe, as data: its plugins (`use(...)`, in apply order), its trainer options,
 * and the parts replaced in it (`swaps`, by slot: `--use`, `override`), which the runner binds in
 * place of the slot's plugin (`replaceSlot`) when it builds the stage.
 */
export interface RecipeStage {
  readonly name: string;
  readonly description: string;
  readonly uses: readonly Use[];
  readonly trainer: Readonly<TrainerOptionsInput>;
  readonly swaps: Readonly<Record<string, Use>>;
}

/** `stage('pretrain', 'GPT pre-training', [use(...), ...], { maxSteps: 250 })`. */
export function stage(name: string, description: string, uses: readonly Use[], trainer: TrainerOptionsInput = {}): RecipeStage {
  return { name, description, uses: [...uses], trainer: { ...trainer }, swaps: {} };
}

/**
 * The slot of each plugin of the stage, in order: the name it gives (`use(..., { slot })`), else
 * what `slotNames` gives the stage's plugins (their kind when alone of it or a role, else their
 * short name). The runner binds the plugins to these slots, so a key's slot is the slot DI rebinds.
 */
export function slotsOf(s: Pick<RecipeStage, 'uses'>): string[] {
  const derived = slotNames(s.uses.map((u) => ({ meta: u.plugin.meta }) as GraftPlugin));
  return s.uses.map((u, i) => u.slot ?? derived[i]!);
}

/** The stage's plugins as they will run: each swapped slot's replacement in place of the recipe's plugin. */
export function effectiveUses(s: RecipeStage): Use[] {
  const slots = slotsOf(s);
  return s.uses.map((u, i) => (Object.hasOwn(s.swaps, slots[i]!) ? s.swaps[slots[i]!]! : u));
}
