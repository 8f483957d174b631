import { silentLogger } from '../../core/index.ts';
import { recipeFromData } from '../recipe/recipeData.ts';
import { stageSpecs } from '../recipe/stageSpec.ts';
import { createStageTrainer } from '../runner/stageTrainer.ts';
import { placeholderContext } from '../runner/validateRun.ts';

/**
 * Each stage's loop as `graft describe` prints it (every hook with the plugins tapped on it, in run
 * order), rebuilt from the recipe a run recorded; undefined when the recipe cannot be rebuilt here
 * (a run from before recipes, a plugin package not installed). Builds trainers, never sets them up.
 */
export function loopText(recipe: unknown): string | undefined {
  try {
    const specs = stageSpecs(recipeFromData(recipe));
    return specs
      .map((spec) => {
        const trainer = createStageTrainer(spec, placeholderContext(specs), { logger: silentLogger() });
        try {
          return `stage ${spec.name}: ${spec.description}\nplugins: ${trainer.plugins.map((p) => p.meta.name).join(', ')}\n${trainer.describeText()}`;
        } finally {
          trainer.dispose();
        }
      })
      .join('\n\n');
  } catch {
    return undefined;
  }
}
