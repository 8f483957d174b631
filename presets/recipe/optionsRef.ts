import { clip, ErrorCodes, GraftError } from '../../core/index.ts';
import { handOversIn } from './refs.ts';
import { effectiveUses, slotsOf, type RecipeStage } from './stage.ts';
import type { Use } from './use.ts';

/**
 * A reference to the options a recipe gives the plugin in another stage's slot, as data
 * (`{ $ref: 'options', stage: 'classifier', slot: 'dataset' }`), resolved from the recipe when its
 * stages are built: ULMFiT's stage 2 reads the training texts of exactly the labelled data set
 * stage 3 uses (`dataset:text-corpus` `trainTextsOf: optionsOf('classifier', 'dataset')`), so
 * every `classifier.dataset.*` key (separate test file, fields, split seed) applies to both.
 * Unlike a hand-over it may point to a later stage: it copies configuration, not a result.
 */
export interface OptionsRef {
  readonly $ref: 'options';
  readonly stage: string;
  readonly slot: string;
}

export function optionsOf(stage: string, slot: string): OptionsRef {
  return { $ref: 'options', stage, slot };
}

export function isOptionsRef(v: unknown): v is OptionsRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { $ref?: unknown }).$ref === 'options';
}

/** Every options reference in a value, with its path. */
export function optionsRefsIn(value: unknown, at = ''): { ref: OptionsRef; path: string }[] {
  if (isOptionsRef(value)) return [{ ref: value, path: at }];
  if (Array.isArray(value)) return value.flatMap((v, i) => optionsRefsIn(v, `${at}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => optionsRefsIn(v, at ? `${at}.${k}` : k));
  return [];
}

const bad = (message: string, expected?: string) => new GraftError(ErrorCodes.CONFIG, message, expected ? { expected } : {});

/** The options the recipe gives the plugin now in `stage.slot` (a swap's, if swapped); CONFIG errors name a missing stage or slot. */
function targetOptions(stages: readonly RecipeStage[], ref: OptionsRef, from: string): Readonly<Record<string, unknown>> {
  const s = stages.find((x) => x.name === ref.stage);
  if (!s) throw bad(`stage "${from}" refers to the options of stage "${clip(String(ref.stage))}", which the recipe does not have`, `one of ${stages.map((x) => x.name).join(', ')}`);
  const at = slotsOf(s).indexOf(ref.slot);
  if (at < 0) throw bad(`stage "${from}" refers to the options of ${ref.stage}.${clip(String(ref.slot))}, which is not a slot`, `one of ${slotsOf(s).join(', ')}`);
  const options = effectiveUses(s)[at]!.options;
  if (optionsRefsIn(options).length || handOversIn(options).length) {
    throw bad(`stage "${from}" refers to the options of ${ref.stage}.${ref.slot}, which themselves refer to other stages`, 'options of plain values');
  }
  return options;
}

/** Every options reference of the recipe's stages names a stage and slot it has (checked when a recipe is made or configured). */
export function checkOptionsRefs(stages: readonly RecipeStage[]): void {
  for (const s of stages) {
    for (const u of [...s.uses, ...Object.values(s.swaps)]) for (const { ref } of optionsRefsIn(u.options)) targetOptions(stages, ref, s.name);
  }
}

/** The stage with every options reference replaced by a copy of the options it points to in `stages`. */
export function resolveOptionsRefs(s: RecipeStage, stages: readonly RecipeStage[]): RecipeStage {
  const resolve = (v: unknown): unknown => {
    if (isOptionsRef(v)) return structuredClone(targetOptions(stages, v, s.name));
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  const use = (u: Use): Use => (optionsRefsIn(u.options).length ? { ...u, options: resolve(u.options) as Record<string, unknown> } : u);
  return { ...s, uses: s.uses.map(use), swaps: Object.fromEntries(Object.entries(s.swaps).map(([k, u]) => [k, use(u)])) };
}
