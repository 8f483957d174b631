import {
  ErrorCodes,
  GraftError,
  silentLogger,
  type GraftPlugin,
  type OptionSchema,
  type ResolvedOptions,
} from '../../core/index.ts';
import type { Preset, StageContext, StageSpec } from './Preset.ts';
import { createStageTrainer } from './stageTrainer.ts';

/** What `validateRun` checked and found that is not an error. */
export interface RunValidation {
  /** The stages checked, in run order. */
  stages: string[];
  /** Things that will not stop the run but deserve a look (bytes that are not UTF-8, ...). */
  warnings: string[];
}

/** Where a stage's hand-overs would be, for building it before any stage ran. */
export const PLACEHOLDER_RUN_DIR = '<out>';

/**
 * The run's stage context before anything ran: the run folder and every stage's checkpoint are
 * placeholder paths (`<out>/<stage>/checkpoint`); a plugin given one checks it at setup, not in
 * its constructor.
 */
export function placeholderContext(stages: readonly StageSpec[], seed = 42): StageContext {
  return {
    runDir: PLACEHOLDER_RUN_DIR,
    stageDir: PLACEHOLDER_RUN_DIR,
    checkpoints: Object.fromEntries(stages.map((s) => [s.name, `${PLACEHOLDER_RUN_DIR}/${s.name}/checkpoint`])),
    results: {},
    seed,
  };
}

/**
 * The pre-flight check of a run, before it writes anything (`graft run` and `graft describe` call
 * it; so can code before `runPreset`). Checks every value a stage will need, as far as it can be
 * known before training:
 *
 * - the preset's own rules (`preset.validate`, e.g. the grid of an experiment);
 * - every stage's plugins and trainer options, built as the run will build them (hand-over paths
 *   are placeholders): each plugin's constructor validates its options (GptModel: dModel divisible
 *   by nHeads; a dataset: its sources), and the plugins are put together in a trainer (dependencies,
 *   conflicts, roles), which is disposed at once;
 * - every plugin's `preflight()`: data sources exist, are readable text (no NUL byte in their
 *   first KB; bytes that are not UTF-8 are counted in a warning), labelled data has two classes.
 *
 * Every problem is a GraftError with a usage code (the CLI exits 2) naming the key, file and line
 * where known and what was expected; a data error found here is re-coded CONFIG, since the fault
 * is in the input, not in a running stage. Not checked: what needs training or a fitted tokenizer
 * (e.g. whether the corpus gives one batch of windows), and the backend (the CLI selects it).
 */
export function validateRun<S extends OptionSchema>(preset: Preset<S>, config: ResolvedOptions<S>): RunValidation {
  const keys = Object.keys(preset.config);
  // A plugin option that a configuration key sets (the key ending in the option's name) gets that key as a hint.
  const keyFor: KeyFor = (_stage, _plugin, option) => {
    if (keys.includes(option)) return undefined;
    const near = keys.filter((k) => k.split('.').pop()!.toLowerCase() === option.toLowerCase());
    return near.length === 1 ? near[0] : undefined;
  };
  const guard = <T>(what: () => T): T => {
    try {
      return what();
    } catch (e) {
      throw asUsageError(e, keyFor, undefined, undefined);
    }
  };
  guard(() => preset.validate?.(config));
  const stages = guard(() => preset.stages(config));
  return validateStages(`preset ${preset.name}`, stages, keyFor);
}

/** The configuration key that sets `option` of `plugin` in `stage`, for a hint; undefined if none. */
export type KeyFor = (stage: string, plugin: string | undefined, option: string) => string | undefined;

/**
 * `validateRun`'s checks of built stages (a recipe's too, `validateRecipe`): every stage's plugins
 * and trainer options built and put together in a trainer as the run builds them (hand-overs are
 * placeholder paths), then every plugin's `preflight()`. Errors are re-coded as usage errors
 * (`asUsageError`) with the configuration key that sets the option at fault (`keyFor`).
 */
export function validateStages(owner: string, stages: readonly StageSpec[], keyFor: KeyFor): RunValidation {
  const multi = stages.length > 1;
  const guard = <T>(what: () => T, stage: string): T => {
    try {
      return what();
    } catch (e) {
      throw asUsageError(e, keyFor, stage, multi ? `In stage "${stage}" of ${owner}` : undefined);
    }
  };
  const ctx = placeholderContext(stages);
  const built: { stage: StageSpec; plugins: readonly GraftPlugin[] }[] = [];
  // Everything that needs no reading first, for every stage; then the data, which takes longer.
  for (const stage of stages) {
    ctx.stageDir = `${PLACEHOLDER_RUN_DIR}/${stage.name}`;
    const plugins = guard(() => stage.plugins(ctx), stage.name);
    const options = guard(() => stage.options(ctx), stage.name);
    const trainer = guard(() => createStageTrainer(stage, ctx, { plugins, options, logger: silentLogger() }), stage.name);
    // The plugins that will run: a part swapped in (a container module) replaces the stage's own.
    built.push({ stage, plugins: [...trainer.plugins] });
    trainer.dispose();
  }
  const warnings: string[] = [];
  for (const { stage, plugins } of built) {
    for (const p of plugins) {
      const report = guard(() => p.preflight?.(), stage.name);
      for (const w of report?.warnings ?? []) if (!warnings.includes(w)) warnings.push(w);
    }
  }
  return { stages: stages.map((s) => s.name), warnings };
}

/**
 * A problem found before the run, as a usage error: DATA errors (a missing or binary file,
 * one class) re-coded CONFIG; a plugin option that a configuration key sets gets that key as a hint.
 */
function asUsageError(e: unknown, keyFor: KeyFor, stage: string | undefined, where: string | undefined): unknown {
  if (!(e instanceof GraftError)) return e;
  if (!e.isUsageError && e.code !== ErrorCodes.DATA) return e;
  const hints = [e.details.hint];
  const option = e.details.option;
  const key = option !== undefined && stage !== undefined ? keyFor(stage, e.details.plugin, option) : undefined;
  if (key !== undefined) hints.push(`The configuration key ${key} sets it`);
  if (where) hints.push(where);
  const hint = hints.filter((h) => h !== undefined && h !== '').map((h) => h!.replace(/\.$/, '')).join('. ');
  return e.withCode(e.isUsageError ? e.code : ErrorCodes.CONFIG, hint ? { hint } : {});
}
