import { validateStages, type KeyFor, type RunValidation } from '../runner/validateRun.ts';
import { experimentOptions } from './experiment.ts';
import { recipeKeys, type ConfigKey } from './keys.ts';
import { isOptionsRef } from './optionsRef.ts';
import type { Recipe } from './recipe.ts';
import { stageSpecs } from './stageSpec.ts';

/**
 * The pre-flight check of a recipe (`graft run`, `graft describe`): every stage built as the run
 * builds it, hand-overs as placeholder paths, so that each plugin's constructor validates its
 * options (the one place a value is validated), the trainer checks how the plugins fit together,
 * and every plugin's `preflight()` checks its data. Errors are usage errors naming the key that
 * sets the option at fault (the alias when there is one). An experiment's rules are checked first.
 */
export function validateRecipe(r: Recipe): RunValidation {
  if (r.experiment) r.experiment.experiment.validate?.(r, experimentOptions(r.experiment));
  return validateStages(`recipe ${r.name}`, stageSpecs(r), keyFor(r));
}

/** The key that sets `option` of `plugin` in `stage`: the alias that targets it, else its derived key. */
export function keyFor(r: Recipe): KeyFor {
  const keys = recipeKeys(r);
  const named = (k: ConfigKey) => Object.entries(r.aliases).find(([, x]) => x.kind === 'value' && x.targets.includes(k.key))?.[0] ?? k.key;
  return (stage, plugin, option) => {
    // `trainTextsOf.source`: an option inside an options reference is the referenced plugin's option.
    const [head, ...rest] = option.split('.');
    const k = keys.find((x) => x.stage === stage && x.option === head && (plugin === undefined || x.owner === plugin));
    if (!k) return undefined;
    if (rest.length && isOptionsRef(k.value)) {
      const ref = k.value;
      const target = keys.find((x) => x.stage === ref.stage && x.slot === ref.slot && x.option === rest.join('.'));
      if (target) return named(target);
    }
    return named(k);
  };
}
