import { clip, ErrorCodes, GraftError } from '../../core/index.ts';
import { configure } from './configure.ts';
import { handOversIn, resolveHandOvers } from './refs.ts';
import { emptySlot, type Use } from './use.ts';
import { slotsOf, stage, type RecipeStage } from './stage.ts';

/**
 * Edits of one stage, for experiments that run a recipe's stage in several variants and folders
 * (`transfer-vs-scratch`'s cells). Each returns a new stage; the recipe's own is left as it is.
 */

/** The stage renamed (its folder in a run is its name). */
export function renamedStage(s: RecipeStage, name: string, description = s.description): RecipeStage {
  return { ...s, name, description };
}

/**
 * The stage with every hand-over (`checkpointOf('target-lm')`) replaced by the folder it points
 * to: for a stage run in another run folder than the stages it takes from. `checkpoints`: the
 * final checkpoint folder of each stage named, as the runner records them.
 */
export function resolveStageHandOvers(s: RecipeStage, checkpoints: Readonly<Record<string, string>>): RecipeStage {
  const resolve = (u: Use): Use => ({ ...u, options: resolveHandOvers(u.options, checkpoints) });
  return {
    ...s,
    uses: s.uses.map(resolve),
    swaps: Object.fromEntries(Object.entries(s.swaps).map(([slot, u]) => [slot, resolve(u)])),
  };
}

/**
 * The stage's options set by `<slot>.<option>` keys (`dataset.trainSize`), checked by their owners'
 * specs as `--set` values are; its hand-overs are kept as they are.
 */
export function withStageOptions(s: RecipeStage, values: Readonly<Record<string, unknown>>): RecipeStage {
  const set = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${s.name}.${k}`, v]));
  // The stages it takes from, as empty stand-ins before it, so its hand-overs check.
  const from = [...new Set([...s.uses, ...Object.values(s.swaps)].flatMap((u) => handOversIn(u.options).map((h) => h.ref.stage)))];
  const stages = [...from.map((name) => stage(name, '', [])), s];
  return configure({ name: `stage ${s.name}`, description: '', stages, aliases: {}, packages: [] }, { set }).stages.at(-1)!;
}

/**
 * The stage without its plugins of the given kinds (a classifier from scratch: no `init`,
 * `lr-groups` or `freezing`). The other plugins keep their slots, so their keys do not change.
 * A kind the stage does not have is a CONFIG error: an edit that removes nothing is a mistake.
 */
export function withoutKinds(s: RecipeStage, kinds: readonly string[]): RecipeStage {
  const slots = slotsOf(s);
  for (const kind of kinds) {
    if (!s.uses.some((u) => u.plugin.meta.kind === kind)) {
      throw new GraftError(ErrorCodes.CONFIG, `stage ${s.name} has no plugin of kind "${clip(kind)}" to remove`, { expected: `kinds of its plugins: ${[...new Set(s.uses.map((u) => u.plugin.meta.kind))].join(', ')}` });
    }
  }
  const keep = s.uses.flatMap((u, i) => (kinds.includes(u.plugin.meta.kind) ? [] : [{ u, slot: slots[i]! }]));
  const derived = slotsOf({ uses: keep.map((k) => k.u) });
  // A plugin whose derived slot would change (one of two of a kind left alone) keeps its old one.
  const uses = keep.map((k, i) => (derived[i] === k.slot ? k.u : { ...k.u, slot: k.slot }));
  const kept = new Set(keep.map((k) => k.slot));
  const swaps = Object.fromEntries(Object.entries(s.swaps).filter(([slot]) => kept.has(slot)));
  return { ...s, uses, swaps };
}

/**
 * The stage with the plugin of one slot replaced (`withSlotUse(s, 'method', use(LoraAdapter))`),
 * or emptied (`null`): an experiment's variants of one stage (`finetune-methods`' methods). The
 * new plugin takes the slot's name, so its keys are `<stage>.<slot>.<option>`. A slot the stage
 * does not have is a CONFIG error.
 */
export function withSlotUse(s: RecipeStage, slot: string, u: Use | null): RecipeStage {
  const slots = slotsOf(s);
  const i = slots.indexOf(slot);
  if (i < 0) throw new GraftError(ErrorCodes.CONFIG, `stage ${s.name} has no slot "${clip(slot)}"`, { expected: `one of ${slots.join(', ')}` });
  const uses = [...s.uses];
  uses[i] = u ? { ...u, slot } : emptySlot(slot);
  const { [slot]: _swapped, ...swaps } = s.swaps;
  return { ...s, uses, swaps };
}
