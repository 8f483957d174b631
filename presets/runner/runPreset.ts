import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import {
  CoreResources,
  createLogger,
  ErrorCodes,
  GraftError,
  type GraftPlugin,
  type OptionSchema,
  type ResolvedOptions,
  type Trainer,
} from '../../core/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { DEFAULT_METRICS_FILE, type JsonlMetricsLogger } from '../../plugins/loggers/index.ts';
import { InterruptedError, StopOnSignal, type Interruption } from './interrupt.ts';
import type { ExperimentRunner, Preset, StageContext, StageSpec } from './Preset.ts';
import { openRunFolder, type RunFolder } from './runFolder.ts';
import { cleanForFreshStart, findResumePoint, removeAfter } from './stageAttempt.ts';
import { createStageTrainer } from './stageTrainer.ts';

export interface RunOptions {
  /** The run folder; created if absent. */
  outDir: string;
  /**
   * Re-run stages from scratch: complete ones, and unfinished ones that would otherwise resume
   * (their checkpoints, `best` included, and metrics files are removed first).
   */
  force?: boolean;
  logger?: Logger;
  /** Extra plugins added to every stage (progress bars, loggers), made per stage. */
  extraPlugins?: (stageDir: string) => GraftPlugin[];
  /** Called with each trainer once built. */
  onTrainer?: (trainer: Trainer | undefined) => void;
  /**
   * Stop on request (the CLI requests it on SIGINT and SIGTERM): the stage in progress saves a
   * checkpoint after its current step, no `result.json` is written and no later stage starts;
   * the run rejects with an `InterruptedError`.
   */
  interrupt?: Interruption;
  /**
   * The run folder, already opened (checked and locked) by the caller, as the CLI does before it
   * opens its log file there; it is not released here. Default: `runPreset` opens `outDir` with
   * `openRunFolder` (one Graft process per run folder) and releases it when done.
   */
  runFolder?: RunFolder;
  /** More fields for the run folder's `config.json` (the CLI records backend and quiet there for `graft resume`). */
  recordInConfig?: Record<string, unknown>;
  /** Called after every stage that completed (the runner refreshes the run's report.html with it). */
  afterStage?: () => void;
}

export interface StageOutcome {
  name: string;
  skipped: boolean;
  checkpoint: string;
  result: Record<string, unknown>;
}

const RESULT = 'result.json';

import { writeReport } from '../run-report/writeReport.ts';
import { writeJsonAtomic } from './writeAtomic.ts';

export { writeJsonAtomic, writeTextAtomic } from './writeAtomic.ts';

const PERIODIC = 'checkpoint:periodic';
const JSONL_METRICS = 'logger:jsonl-metrics';

/**
 * Run stages in order in `dir`. A stage whose `result.json` exists is complete and is skipped
 * (unless `force`); its checkpoint and result are handed to later stages all the same.
 *
 * A stage without `result.json` is unfinished: it resumes exactly (`trainer.resume`) from the
 * newest complete checkpoint of its `checkpoint:periodic` folder (a stage without that plugin
 * gets one that saves at the end and when stopped), after removing what the abandoned attempt
 * wrote past it; with no checkpoint it starts at step 0, after removing the earlier attempt's
 * step checkpoints and metrics files. A checkpoint taken after training ended only leaves the
 * stage's closing work (final checkpoint, `after`, `result.json`).
 */
export async function runStages(
  dir: string,
  stages: StageSpec[],
  seed: number,
  config: unknown,
  opts: Omit<RunOptions, 'outDir'> & { logger: Logger },
): Promise<StageOutcome[]> {
  const ctx: StageContext = { runDir: dir, stageDir: dir, checkpoints: {}, results: {}, seed };
  const outcomes: StageOutcome[] = [];
  for (const stage of stages) {
    const stageDir = path.join(dir, stage.name);
    const checkpoint = path.join(stageDir, 'checkpoint');
    const resultFile = path.join(stageDir, RESULT);
    ctx.stageDir = stageDir;
    if (opts.force) rmSync(resultFile, { force: true });
    if (!opts.force && existsSync(resultFile)) {
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>;
      opts.logger.info(`stage ${stage.name}: already complete in ${stageDir}, skipped (use --force to re-run)`);
      ctx.checkpoints[stage.name] = checkpoint;
      ctx.results[stage.name] = result;
      outcomes.push({ name: stage.name, skipped: true, checkpoint, result });
      continue;
    }
    const stop = opts.interrupt;
    if (stop?.signal) throw new InterruptedError(stop.signal, `stopped by ${stop.signal} before stage ${stage.name}`);
    mkdirSync(stageDir, { recursive: true });
    opts.logger.info(`stage ${stage.name}: ${stage.description}`);
    const plugins = stage.plugins(ctx);
    const extra = opts.extraPlugins?.(stageDir) ?? [];
    // Every stage can be resumed: one without periodic checkpoints saves at the end and when stopped.
    const addedPeriodic = ![...plugins, ...extra].some((p) => p.meta.name === PERIODIC);
    if (addedPeriodic) extra.push(new PeriodicCheckpoint({ every: 0, keep: 1, best: false }));
    if (stop) extra.push(new StopOnSignal(stop, stage.name));
    const trainer = createStageTrainer(stage, ctx, { plugins, extra, options: { seed, ...stage.options(ctx) }, logger: opts.logger });
    trainer.resources.set(CoreResources.runDir, stageDir);
    trainer.resources.set(CoreResources.config, { ...(config as object), stage: stage.name });
    opts.onTrainer?.(trainer);
    try {
      const started = Date.now();
      const checkpointDir = trainer.plugin<PeriodicCheckpoint>(PERIODIC)!.options.dir ?? path.join(stageDir, 'checkpoints');
      const metricsFiles = trainer.plugins
        .filter((p) => p.meta.name === JSONL_METRICS)
        .map((p) => path.resolve((p as JsonlMetricsLogger).options.file ?? path.join(stageDir, DEFAULT_METRICS_FILE)));
      if (opts.force) {
        rmSync(checkpointDir, { recursive: true, force: true });
        for (const f of metricsFiles) rmSync(f, { force: true });
      }
      const from = opts.force ? undefined : findResumePoint(checkpointDir, opts.logger);
      let fit: { stopReason: string; state: Trainer['state']; metrics: Record<string, number> };
      if (from) {
        const removed = removeAfter(checkpointDir, from.step);
        opts.logger.info(
          `stage ${stage.name}: ${from.finished ? 'training finished' : 'resuming'} from step ${from.step} of ${from.dir}` +
            (removed.length ? ` (removed what a stopped attempt left after it: ${removed.join(', ')})` : ''),
        );
        await trainer.resume(from.dir);
        fit = from.finished
          ? { stopReason: trainer.state.stopReason ?? 'done', state: trainer.state, metrics: { ...trainer.state.metrics } }
          : await trainer.fit();
      } else {
        const removed = cleanForFreshStart(checkpointDir, metricsFiles);
        if (removed.length) opts.logger.info(`stage ${stage.name}: no checkpoint to resume; starting at step 0 (removed an earlier attempt's ${removed.map((f) => path.basename(f)).join(', ')})`);
        fit = await trainer.fit();
      }
      const stopped = () => {
        // A signal during the end of training, the final save or `after`: the stage is not marked
        // complete; its end-of-run checkpoint lets the next run finish it.
        if (stop?.signal) throw new InterruptedError(stop.signal, `stage ${stage.name}: stopped by ${stop.signal} after training (step ${fit.state.step}); not marked complete`);
      };
      stopped();
      // The stage's final model in the form its checkpoints take: adapter-only when they are.
      await trainer.save(checkpoint, { params: trainer.plugin<PeriodicCheckpoint>(PERIODIC)!.options.params });
      const after = (await stage.after?.(trainer, ctx)) ?? {};
      stopped();
      const result = {
        stopReason: fit.stopReason,
        steps: fit.state.step,
        tokens: fit.state.tokens,
        seconds: (Date.now() - started) / 1000,
        metrics: fit.metrics,
        // What plugins offered (callback:sample-text's sample), then what `after` returned.
        ...trainer.resources.get(CoreResources.stageResult),
        ...after,
      };
      writeJsonAtomic(resultFile, result);
      // The stage's own checkpoint/ is the final model; the resume checkpoints the runner added are not needed.
      if (addedPeriodic) rmSync(checkpointDir, { recursive: true, force: true });
      ctx.checkpoints[stage.name] = checkpoint;
      ctx.results[stage.name] = result;
      outcomes.push({ name: stage.name, skipped: false, checkpoint, result });
      opts.afterStage?.();
    } finally {
      opts.onTrainer?.(undefined);
      trainer.dispose();
    }
  }
  return outcomes;
}

/** Run a preset with a resolved configuration into a run folder. */
export async function runPreset<S extends OptionSchema>(
  preset: Preset<S>,
  config: ResolvedOptions<S>,
  seed: number,
  opts: RunOptions,
): Promise<{ outcomes: StageOutcome[]; experiment?: Record<string, unknown> }> {
  const dir = path.resolve(opts.outDir);
  // Checked and locked before anything is written there (config.json and the log included).
  const early: string[] = [];
  const folder = opts.runFolder ?? openRunFolder(dir, { warn: (m) => early.push(m) });
  if (folder.dir !== dir) throw new GraftError(ErrorCodes.INTERNAL, `runFolder ${folder.dir} is not outDir ${dir}`);
  try {
    const logger = opts.logger ?? createLogger({ file: path.join(dir, 'log.jsonl') });
    for (const m of early) logger.warn(m);
    const report = () => refreshReport(dir, logger);
    try {
      return await runPresetLocked(preset, config, seed, { ...opts, afterStage: () => (opts.afterStage?.(), report()) }, dir, logger);
    } finally {
      // Finished, stopped or failed: the report shows what the folder holds now.
      report();
    }
  } finally {
    if (!opts.runFolder) folder.release();
  }
}

async function runPresetLocked<S extends OptionSchema>(
  preset: Preset<S>,
  config: ResolvedOptions<S>,
  seed: number,
  opts: RunOptions,
  dir: string,
  logger: Logger,
): Promise<{ outcomes: StageOutcome[]; experiment?: Record<string, unknown> }> {
  const record = { preset: preset.name, seed, config, ...(preset.recipe !== undefined ? { recipe: preset.recipe } : {}) };
  const cfgFile = path.join(dir, 'config.json');
  if (existsSync(cfgFile) && !opts.force) {
    const prev = JSON.parse(readFileSync(cfgFile, 'utf8'));
    if (!sameRun(prev, record)) {
      throw new GraftError(ErrorCodes.CONFIG, `the run folder ${dir} holds a run of a different configuration`, {
        hint: 'Use another --out folder, or --force to overwrite its stages',
      });
    }
  }
  if (existsSync(cfgFile) && !opts.force) {
    const before = gridOf(JSON.parse(readFileSync(cfgFile, 'utf8')).recipe);
    if (JSON.stringify(before) !== JSON.stringify(gridOf(preset.recipe))) {
      logger.info(`the experiment's grid changed (${JSON.stringify(before ?? {})} → ${JSON.stringify(gridOf(preset.recipe) ?? {})}): finished stages and cells are reused`);
    }
  }
  writeJsonAtomic(cfgFile, { ...record, ...opts.recordInConfig, created: new Date().toISOString() });
  if (preset.experiment) {
    const experiment = await preset.experiment(config, oneAtATime(async (subdir, stages, subSeed) => {
      const out = await runStages(path.join(dir, subdir), stages, subSeed ?? seed, record, { ...opts, logger });
      return Object.fromEntries(out.map((o) => [o.name, o.result]));
    }), dir);
    return { outcomes: [], experiment };
  }
  const outcomes = await runStages(dir, preset.stages(config), seed, record, { ...opts, logger });
  return { outcomes };
}

/**
 * The runner an experiment gets from `graft run`: calls run one at a time in the order they were
 * made (an experiment may start independent cells together; `graft sweep` runs those at once).
 * Once one fails, the later ones fail with the same error without running, as a loop that awaited
 * each in turn would have stopped there.
 */
export function oneAtATime(run: ExperimentRunner): ExperimentRunner {
  let tail: Promise<unknown> = Promise.resolve();
  return (subdir, stages, subSeed) => {
    const next = tail.then(() => run(subdir, stages, subSeed));
    tail = next;
    // The experiment awaits the first failure; the calls after it fail too and may never be awaited.
    next.catch(() => {});
    return next;
  };
}

/**
 * Whether a run folder's recorded `config.json` (`prev`) is the run `record` describes: same preset,
 * seed, config and recipe. An experiment may grow or shrink its grid (sizes, seeds) in the same
 * folder: its stages are the same, so the language model and every finished cell are reused.
 */
export function sameRun(prev: { preset?: unknown; seed?: unknown; config?: unknown; recipe?: unknown }, record: { preset: string; seed: number; config: unknown; recipe?: unknown }): boolean {
  return (
    prev.preset === record.preset &&
    prev.seed === record.seed &&
    JSON.stringify(prev.config) === JSON.stringify(record.config) &&
    JSON.stringify(withoutGrid(prev.recipe)) === JSON.stringify(withoutGrid(record.recipe))
  );
}

/** A recipe's data without its experiment's values (`sizes`, `seeds`): what must match to reuse a run folder. */
export function withoutGrid(recipe: unknown): unknown {
  if (typeof recipe !== 'object' || recipe === null || !('experiment' in recipe)) return recipe;
  const e = (recipe as { experiment?: { name?: unknown } }).experiment;
  return { ...recipe, experiment: { name: e?.name } };
}

/** The experiment's values in a recipe's data, if any. */
function gridOf(recipe: unknown): unknown {
  return (recipe as { experiment?: { options?: unknown } } | undefined)?.experiment?.options;
}

/** Rebuild the run's report.html; a failure is a warning, never the run's failure. */
function refreshReport(dir: string, logger: Logger): void {
  try {
    writeReport(dir);
  } catch (e) {
    logger.warn(`report.html not written: ${(e as Error).message}`);
  }
}
