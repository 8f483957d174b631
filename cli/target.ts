import { clip, createLogger, ErrorCodes, GraftError } from '../core/index.ts';
import { findPreset, PRESETS } from '../presets/index.ts';
import {
  builtinRegistry,
  configure,
  describeRecipeKeys,
  isRecipe,
  isRecipeFile,
  loadRecipeFile,
  parseSets,
  parseUses,
  stageSpecs,
  type PluginRegistry,
  type Recipe,
} from '../presets/recipe/index.ts';
import type { Preset } from '../presets/runner/Preset.ts';
import { createStageTrainer } from '../presets/runner/stageTrainer.ts';
import { placeholderContext } from '../presets/runner/validateRun.ts';
import type { ParsedArgs } from './args.ts';

/** What `graft run` / `graft describe` run: a recipe (a preset as data, or a recipe file), or a preset with stage closures. */
export type Target =
  | { kind: 'recipe'; recipe: Recipe; registry: PluginRegistry; seed?: number }
  | { kind: 'preset'; preset: Preset };

/**
 * The command's target: a recipe file (`.yaml`, `.yml`, `.json`, a run's `config.json`), read with
 * the packages it names, or a preset by name. `--use` needs a recipe.
 */
export async function resolveTarget(args: ParsedArgs): Promise<Target> {
  const name = args.positional[0];
  if (!name) {
    throw new GraftError(ErrorCodes.USAGE, `"graft ${args.command}" needs a preset name or a recipe file`, { expected: `one of ${Object.keys(PRESETS).join(', ')}, or a .yaml/.json recipe` });
  }
  if (args.positional.length > 1) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(args.positional[1]!)}"`);
  if (isRecipeFile(name)) {
    const loaded = await loadRecipeFile(name);
    return { kind: 'recipe', recipe: loaded.recipe, registry: loaded.registry, ...(loaded.seed !== undefined ? { seed: loaded.seed } : {}) };
  }
  const p = findPreset(name);
  if (isRecipe(p)) return { kind: 'recipe', recipe: p, registry: builtinRegistry };
  if (args.uses.length) {
    throw new GraftError(ErrorCodes.USAGE, `--use swaps a plugin of a recipe; preset ${p.name} builds its stages in code`, {
      hint: 'Set its configuration keys with --set (graft describe lists them)',
    });
  }
  return { kind: 'preset', preset: p };
}

/** The recipe with the command line's `--use` swaps and `--set` values applied. */
export function configureFromArgs(t: Extract<Target, { kind: 'recipe' }>, args: ParsedArgs): Recipe {
  return configure(t.recipe, { set: parseSets(args.sets), use: parseUses(args.uses) }, t.registry);
}

/** `graft describe` of a recipe: every key (aliases first) with its value and meaning, then each stage's plugins on the loop. */
export function describeRecipe(r: Recipe): string {
  const out = [`recipe ${r.name}: ${r.description}`, '', 'configuration:', describeRecipeKeys(r)];
  const stages = stageSpecs(r);
  for (const stage of stages) {
    const ctx = { ...placeholderContext(stages), stageDir: `<out>/${stage.name}` };
    const trainer = createStageTrainer(stage, ctx, { logger: createLogger({ console: false }) });
    out.push(`\nstage ${stage.name}: ${stage.description}\nplugins: ${trainer.plugins.map((p) => p.meta.name).join(', ')}\n${trainer.describeText()}`);
    trainer.dispose();
  }
  return out.join('\n');
}

/**
 * The settings of a configuration recorded before presets were recipes (a flat `config` of
 * aliases): each key the recipe still takes, alone; the others are left out.
 */
export function legacySettings(r: Recipe, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    try {
      configure(r, { set: { [k]: v } });
      out[k] = v;
    } catch {
      // a key this version no longer has, or one that does not apply (tokenizer.vocabSize with char)
    }
  }
  return out;
}
