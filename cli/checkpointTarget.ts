import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { clip, ErrorCodes, GraftError, readCheckpointManifest, resolveCheckpointDir, type Manifest } from '../core/index.ts';
import { findPreset } from '../presets/index.ts';
import { configure, isRecipe, loadPluginPackages, pluginRegistry, recipeFromData, resolveOptionsRefs, type RecipeData, type RecipeStage } from '../presets/recipe/index.ts';
import { resolveConfig } from '../presets/runner/resolveConfig.ts';
import { legacySettings } from './target.ts';

/** A saved model to use (`graft eval`, `graft predict`): its checkpoint folder and the recipe stage that wrote it. */
export interface CheckpointTarget {
  /** The checkpoint folder (a complete one: `resolveCheckpointDir`). */
  dir: string;
  manifest: Manifest;
  /** The stage that wrote the checkpoint, rebuilt from the recipe its manifest records (swaps in place). */
  stage: RecipeStage;
}

/** What `graft run` records in a checkpoint's manifest (`config`). */
interface RecordedConfig {
  preset?: string;
  config?: Record<string, unknown>;
  recipe?: RecipeData;
  stage?: string;
}

const RESULT = 'result.json';

/**
 * The checkpoint `arg` names: a checkpoint folder (`<run>/<stage>/checkpoint`, a step or best
 * checkpoint), or a run folder, meaning the final checkpoint of its last completed stage (stages in
 * the order of its `config.json`), or of `stage` when given. Everything wrong with the argument (no
 * such folder, no checkpoint, an unknown or unfinished stage, a checkpoint `graft run` did not
 * write) is a USAGE error naming the folder.
 */
export async function resolveCheckpointTarget(command: string, arg: string | undefined, stage: string | undefined): Promise<CheckpointTarget> {
  if (!arg) throw new GraftError(ErrorCodes.USAGE, `"graft ${command}" needs a run folder or a checkpoint folder`);
  if (!existsSync(arg)) throw new GraftError(ErrorCodes.USAGE, 'no such folder', { file: arg, expected: 'a run folder (graft run --out) or a checkpoint folder' });
  if (!statSync(arg).isDirectory()) throw new GraftError(ErrorCodes.USAGE, 'not a folder', { file: arg, expected: 'a run folder (graft run --out) or a checkpoint folder' });
  let dir = resolveCheckpointDir(arg);
  if (dir === undefined) {
    if (!existsSync(path.join(arg, 'config.json'))) {
      throw new GraftError(ErrorCodes.USAGE, 'no checkpoint here: neither a checkpoint folder (manifest.json) nor a run folder (config.json)', {
        file: arg,
        hint: 'Point at a run folder (graft run --out) or at a checkpoint in it (<run>/<stage>/checkpoint)',
      });
    }
    dir = stageCheckpoint(arg, stage);
  }
  const { dir: real, manifest } = readCheckpointManifest(dir);
  const cfg = manifest.config as RecordedConfig | undefined;
  if (stage !== undefined && cfg?.stage !== undefined && cfg.stage !== stage) {
    throw new GraftError(ErrorCodes.USAGE, `--stage ${clip(stage)}: the checkpoint was written by stage "${clip(cfg.stage)}"`, { file: real, hint: 'Drop --stage, or point at the run folder' });
  }
  return { dir: real, manifest, stage: await recordedStage(real, cfg) };
}

/** The final checkpoint of `stage` (default: the last completed one) in run folder `run`. */
function stageCheckpoint(run: string, stage: string | undefined): string {
  const names = stageNames(run);
  const complete = (name: string) => existsSync(path.join(run, name, RESULT)) && resolveCheckpointDir(path.join(run, name, 'checkpoint')) !== undefined;
  if (stage !== undefined) {
    if (!names.includes(stage)) {
      throw new GraftError(ErrorCodes.USAGE, `--stage ${clip(stage)}: the run has no such stage`, { file: run, expected: `one of ${names.join(', ')}` });
    }
    if (!complete(stage)) {
      throw new GraftError(ErrorCodes.USAGE, `stage "${clip(stage)}" of the run is not complete: it has no final checkpoint`, {
        file: path.join(run, stage),
        hint: 'Finish it (graft resume), or point at one of its step checkpoints',
      });
    }
    return path.join(run, stage, 'checkpoint');
  }
  const last = names.filter(complete).pop();
  if (last === undefined) {
    throw new GraftError(ErrorCodes.USAGE, 'no stage of the run is complete: there is no final checkpoint', {
      file: run,
      hint: `Finish the run (graft resume ${run}), or point at a step checkpoint in it`,
    });
  }
  return path.join(run, last, 'checkpoint');
}

/** The stages of a run folder in run order, from its `config.json` (the recipe it recorded, else its preset). */
function stageNames(run: string): string[] {
  const file = path.join(run, 'config.json');
  let rec: { preset?: unknown; config?: unknown; recipe?: { stages?: unknown } };
  try {
    rec = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.USAGE, `not a readable run record: ${(e as Error).message}`, { file });
  }
  const stages = rec?.recipe?.stages;
  if (Array.isArray(stages) && stages.every((s) => typeof s?.name === 'string')) return stages.map((s: { name: string }) => s.name);
  if (typeof rec?.preset !== 'string') throw new GraftError(ErrorCodes.USAGE, 'does not record the run (no recipe, no preset)', { file });
  const preset = findPreset(rec.preset);
  if (isRecipe(preset)) return preset.stages.map((s) => s.name);
  return preset.stages(resolveConfig(preset.name, preset.config, [], (rec.config ?? {}) as Record<string, unknown>)).map((s) => s.name);
}

/** The recipe stage that wrote checkpoint `dir`, from what its manifest records (as `graft generate` reads it). */
async function recordedStage(dir: string, cfg: RecordedConfig | undefined): Promise<RecipeStage> {
  if (!cfg?.stage || (!cfg.preset && cfg.recipe === undefined)) {
    throw new GraftError(ErrorCodes.USAGE, 'the checkpoint does not record the recipe and stage that made it', {
      file: dir,
      hint: 'Use a checkpoint written by graft run (its manifest records config.recipe and config.stage)',
    });
  }
  let stages: readonly RecipeStage[];
  if (cfg.recipe !== undefined) {
    // The recipe the checkpoint recorded, with the packages it names (resolved from here).
    const registry = pluginRegistry(await loadPluginPackages(cfg.recipe.packages ?? [], process.cwd()));
    stages = recipeFromData(cfg.recipe, registry, () => ({ file: path.join(dir, 'manifest.json') })).stages;
  } else {
    const preset = findPreset(cfg.preset!);
    if (!isRecipe(preset)) {
      throw new GraftError(ErrorCodes.USAGE, `preset "${preset.name}" builds its stages in code: its checkpoints cannot be rebuilt from data`, { file: dir });
    }
    stages = configure(preset, { set: legacySettings(preset, cfg.config ?? {}) }).stages;
  }
  const found = stages.find((s) => s.name === cfg.stage);
  if (!found) throw new GraftError(ErrorCodes.USAGE, `the recipe the checkpoint records has no stage "${clip(cfg.stage)}"`, { file: dir });
  return resolveOptionsRefs(found, stages);
}
