import type { Preset } from '../runner/Preset.ts';
import { experimentOptions } from './experiment.ts';
import type { Recipe } from './recipe.ts';
import { recipeToData } from './recipeData.ts';
import { stageSpecs } from './stageSpec.ts';

/** Whether a preset is a recipe (data) rather than a `Preset` with stage closures. */
export function isRecipe(p: unknown): p is Recipe {
  return typeof p === 'object' && p !== null && Array.isArray((p as Recipe).stages) && typeof (p as Recipe).aliases === 'object';
}

/**
 * A configured recipe as the runner's `Preset` (no configuration of its own: `configure` applied
 * it; an experiment runs its grid), so `runPreset` runs it with resume, signals and locks unchanged; the run's `config.json`
 * and every checkpoint's manifest record the resolved recipe (`recipe`), which `graft run
 * <run>/config.json` runs again.
 */
export function recipePreset(r: Recipe): Preset<Record<string, never>> {
  return {
    name: r.name,
    description: r.description,
    config: {},
    stages: () => stageSpecs(r),
    recipe: recipeToData(r),
    ...(r.experiment
      ? {
          validate: () => r.experiment!.experiment.validate?.(r, experimentOptions(r.experiment!)),
          experiment: (_c, run, runDir) => r.experiment!.experiment.run(r, experimentOptions(r.experiment!), run, runDir),
        }
      : {}),
  };
}
