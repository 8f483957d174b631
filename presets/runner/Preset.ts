import type { ContainerModule } from 'inversify';
import type { GraftPlugin, OptionSchema, ResolvedOptions, Trainer, TrainerOptionsInput } from '../../core/index.ts';

/** What a stage of a running preset knows: its folder, the run folder, and the earlier stages' outputs. */
export interface StageContext {
  /** The run folder (`--out`). */
  runDir: string;
  /** This stage's folder: `<runDir>/<stage name>`. */
  stageDir: string;
  /** The final checkpoint folder of each finished stage, by stage name. */
  checkpoints: Record<string, string>;
  /** What each finished stage recorded in its `result.json` (`after`'s values, `CoreResources.stageResult`), by stage name. */
  results: Record<string, Record<string, unknown>>;
  /** The run seed. */
  seed: number;
}

/**
 * One stage of a recipe, as data: which plugins, with which trainer options, and what it hands on
 * (its final checkpoint, always; plus whatever `after` returns).
 */
export interface StageSpec {
  name: string;
  description: string;
  plugins(ctx: StageContext): GraftPlugin[];
  /** Slot names of `plugins(ctx)`, one each (default `slotNames`): a recipe stage gives them, so its keys name the slots DI binds. */
  slots?: readonly string[];
  /** Container modules loaded after the plugins: `replaceSlot(slot, plugin)` for each part swapped in (`--use`). */
  modules?(ctx: StageContext): ContainerModule[];
  options(ctx: StageContext): TrainerOptionsInput;
  /**
   * After training: e.g. evaluate on the test split, print a sample. Returns numbers and text to
   * record in the stage's `result.json` (and pass to later stages).
   */
  after?(trainer: Trainer, ctx: StageContext): Promise<Record<string, unknown>>;
  /** Plugins needed to load this stage's checkpoint for inference (`graft generate`). */
  inference?(checkpointDir: string): GraftPlugin[];
}

/**
 * A preset: a named recipe with a flat, typed configuration (`model.nLayers`, `train.lr`) that
 * `--set key=value` overrides, and one or more stages built from that configuration. A preset has
 * no loop code: it only chooses plugins and options.
 */
export interface Preset<S extends OptionSchema = OptionSchema> {
  name: string;
  description: string;
  config: S;
  stages(config: ResolvedOptions<S>): StageSpec[];
  /**
   * The resolved recipe as data (presets made from a recipe, `recipePreset`): recorded in the run's
   * `config.json` and every checkpoint's manifest, so `graft run <run>/config.json` runs it again.
   */
  recipe?: unknown;
  /**
   * Rules across keys the schema cannot express, checked before the run writes anything
   * (`validateRun`); throws a GraftError with a usage code (CONFIG) naming the key.
   */
  validate?(config: ResolvedOptions<S>): void;
  /**
   * Optional driver for experiments that are not a straight sequence of stages (several sizes ×
   * seeds): receives a function running one stage list in a sub-folder, and the run folder (for
   * the experiment's own outputs: tables, plots).
   */
  experiment?(config: ResolvedOptions<S>, run: ExperimentRunner, runDir: string): Promise<Record<string, unknown>>;
}

export type ExperimentRunner = (subdir: string, stages: StageSpec[], seed?: number) => Promise<Record<string, Record<string, unknown>>>;

export function definePreset<S extends OptionSchema>(p: Preset<S>): Preset<S> {
  return p;
}
