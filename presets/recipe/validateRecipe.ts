import { validateStages, type KeyFor, type RunValidation } from '../runner/validateRun.ts';
import { experimentOptions } from './experiment.ts';
import { recipeKeys } from './keys.ts';
import type { Recipe } from './recipe.ts';
import { toStageSpec } from './stageSpec.ts';

/**
 * The pre-flight check of a recipe (`graft run`, `graft describe`): every stage built as the run
 * builds it, hand-overs as placeholder paths, so that each plugin's constructor validates its
 * options (the one place a value is validated), the trainer checks how the plugins fit together,
 * and every plugin's `preflight()` checks its data. Errors are usage errors naming the key that
 * sets the option at fault (the alias when there is one). An experiment's rules are checked first.
 */
export function validateRecipe(r: Recipe): RunValidation {
  if (r.experiment) r.experiment.experiment.validate?.(r, experimentOptions(r.experiment));
  return validateStages(`recipe ${r.name}`, r.stages.map(toStageSpec), keyFor(r));
}

/** The key that sets `option` of `plugin` in `stage`: the alias that targets it, else its derived key. */
export function keyFor(r: Recipe): KeyFor {
  const keys = recipeKeys(r);
  return (stage, plugin, option) => {
    const k = keys.find((x) => x.stage === stage && x.option === option && (plugin === undefined || x.owner === plugin));
    if (!k) return undefined;
    const a = Object.entries(r.aliases).find(([, x]) => x.kind === 'value' && x.targets.includes(k.key));
    return a ? a[0] : k.key;
  };
}
