import { ErrorCodes, GraftError, replaceSlot, type GraftPlugin } from '../../core/index.ts';
import type { StageContext, StageSpec } from '../runner/Preset.ts';
import { optionsRefsIn, resolveOptionsRefs } from './optionsRef.ts';
import type { Recipe } from './recipe.ts';
import { resolveHandOvers } from './refs.ts';
import { effectiveUses, slotsOf, type RecipeStage } from './stage.ts';
import { isEmptySlot, type Use } from './use.ts';

/** Construct a plugin of a recipe: hand-overs resolved to the earlier stages' checkpoint folders; the constructor validates the options. */
export function construct(u: Use, checkpoints: Readonly<Record<string, string>>): GraftPlugin {
  const left = optionsRefsIn(u.options)[0];
  if (left) {
    throw new GraftError(ErrorCodes.INTERNAL, `${u.plugin.meta.name} option ${left.path} refers to the options of ${left.ref.stage}.${left.ref.slot}, which were not resolved`, {
      hint: 'Build the stage with its recipe: toStageSpec(stage, recipe)',
    });
  }
  return new u.plugin(resolveHandOvers(u.options, checkpoints));
}

/** The recipe's stages as the runner's `StageSpec`s (options references resolved within the recipe). */
export function stageSpecs(r: Pick<Recipe, 'stages'>): StageSpec[] {
  return r.stages.map((s) => toStageSpec(s, r));
}

/**
 * A recipe stage as the runner's `StageSpec`, so `runStages` (resume, signals, locks) runs it
 * unchanged: `plugins(ctx)` builds the recipe's plugins in their slots, hand-overs resolved from
 * `ctx.checkpoints`; each part swapped in is a `replaceSlot` container module, so the container
 * is what replaces it; empty slots are left out; `options()` are the stage's trainer options. A
 * stage with a tokenizer that loads from a checkpoint and a model can also be built for inference
 * (`graft generate`). A stage with options references needs its recipe.
 */
export function toStageSpec(stage: RecipeStage, recipe?: Pick<Recipe, 'stages'>): StageSpec {
  // Options references (`optionsOf('classifier', 'dataset')`) copy another stage's options: resolved here, from the recipe.
  const s = recipe ? resolveOptionsRefs(stage, recipe.stages) : stage;
  const all = slotsOf(s);
  const uses = effectiveUses(s);
  // Empty slots (`emptySlot`, a choice of no plugin) are left out; a plugin chosen for a slot that
  // was empty is built in its place, as there is nothing for the container to replace.
  const filled = all.flatMap((slot, i) => (isEmptySlot(uses[i]!) ? [] : [{ slot, own: s.uses[i]!, now: uses[i]! }]));
  const spec: StageSpec = {
    name: s.name,
    description: s.description,
    slots: filled.map((f) => f.slot),
    plugins: (ctx: StageContext) => filled.map((f) => construct(isEmptySlot(f.own) ? f.now : f.own, ctx.checkpoints)),
    modules: (ctx: StageContext) =>
      filled.filter((f) => !isEmptySlot(f.own) && Object.hasOwn(s.swaps, f.slot)).map((f) => replaceSlot(f.slot, construct(f.now, ctx.checkpoints))),
    options: () => ({ ...s.trainer }),
  };
  const tokenizer = uses.find((u) => u.plugin.meta.kind === 'tokenizer' && 'from' in u.plugin.options);
  if (tokenizer && uses.some((u) => u.plugin.meta.kind === 'model')) {
    // The tokenizer the stage fitted, from its checkpoint; the model and head as the stage built them.
    const parts = uses.filter((u) => u.plugin.meta.kind === 'model' || u.plugin.meta.kind === 'head');
    spec.inference = (dir) => [new tokenizer.plugin({ from: dir }), ...parts.map((u) => construct(u, {}))];
  }
  return spec;
}
