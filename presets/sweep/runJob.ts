import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import { thisHost } from '../../core/checkpoint/processAlive.ts';
import { createLogger, ErrorCodes, GraftError, type GraftPlugin } from '../../core/index.ts';
import { JsonlMetricsLogger } from '../../plugins/loggers/index.ts';
import { experimentOptions } from '../recipe/experiment.ts';
import { recipeFromData, recipeToData, type RecipeData } from '../recipe/recipeData.ts';
import { recipePreset } from '../recipe/recipePreset.ts';
import { loadPluginPackages, pluginRegistry } from '../recipe/registry.ts';
import type { Recipe } from '../recipe/recipe.ts';
import type { ExperimentRunner, StageSpec } from '../runner/Preset.ts';
import { openRunFolder } from '../runner/runFolder.ts';
import { acquireRunLock, type AcquireOptions, type LockHolder } from '../runner/runLock.ts';
import { runPreset, runStages } from '../runner/runPreset.ts';
import { SweepProgress } from './jobProgress.ts';
import type { JobContext } from './workLoop.ts';
import type { CellJobData, RunJobData, SweepJobData } from './sweepJobs.ts';

/** What a worker records in the run folders it locks, so another worker that takes the job over knows the lock is a sweep job's. */
export function jobLockCommand(jobId: string): string {
  return `graft worker: job ${jobId}`;
}

/**
 * The lock options of a job's run folder. On this machine a dead holder is found by its pid, as
 * for `graft run`. A holder on another machine that ran this same job cannot be checked that way:
 * this worker holds the job's lease, which the queue gave it only because that holder's lease
 * expired (it died, or lost the shared directory and Redis), so its lock is stale too.
 */
export function jobLockOptions(jobId: string, log: (m: string) => void): AcquireOptions {
  const command = jobLockCommand(jobId);
  return { command, warn: log, isStale: (h: LockHolder) => h.command === command && h.host !== thisHost() };
}

/** The recipe of a job, with the plugin packages it names (resolved from this worker's folder). */
async function jobRecipe(data: RecipeData): Promise<Recipe> {
  const registry = pluginRegistry(await loadPluginPackages(data.packages ?? [], process.cwd()));
  return recipeFromData(data, registry);
}

/** `result.json` of each stage under `dir`, or undefined if one is missing (the cell is not finished). */
export function finishedResults(dir: string, stages: readonly StageSpec[]): Record<string, Record<string, unknown>> | undefined {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of stages) {
    const f = path.join(dir, s.name, 'result.json');
    if (!existsSync(f)) return undefined;
    out[s.name] = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
  }
  return out;
}

export interface RunJobOptions {
  /** The shared directory as this worker sees it (job folders are relative to it). */
  sharedDir: string;
  /** Told about each job's lock take-overs. */
  log?: (message: string) => void;
}

/**
 * Run one sweep job (the worker's handler): a whole run with `runPreset`, or an experiment's cell
 * with `runStages`, each in its folder under the shared directory, resuming what a stopped or killed
 * attempt left there. Every stage gets a `metrics.jsonl` (as `graft run` writes) and reports its
 * progress to the job. Returns each stage's result.
 */
export async function runSweepJob(ctx: JobContext, opts: RunJobOptions): Promise<Record<string, unknown>> {
  const data = ctx.lease.data as SweepJobData;
  const log = opts.log ?? (() => {});
  const extraPlugins = (stageDir: string): GraftPlugin[] => [
    new JsonlMetricsLogger({ file: path.join(stageDir, 'metrics.jsonl') }),
    new SweepProgress(path.basename(stageDir), ctx.progress),
  ];
  if (data.kind === 'run') return runWhole(ctx, data, opts.sharedDir, extraPlugins, log);
  if (data.kind === 'cell') return runCell(ctx, data, opts.sharedDir, extraPlugins, log);
  throw new GraftError(ErrorCodes.CONFIG, `job ${ctx.lease.id} is not a sweep job`, { received: (data as { kind?: unknown }).kind, expected: 'kind run or cell' });
}

async function withLogger<T>(file: string, f: (logger: Logger) => Promise<T>): Promise<T> {
  const logger = createLogger({ file, console: false });
  try {
    return await f(logger);
  } finally {
    // Flushed before the job is reported done: the next reader (or a test) sees every line.
    await new Promise<void>((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
      setTimeout(resolve, 2000).unref();
    });
  }
}

async function runWhole(ctx: JobContext, data: RunJobData, shared: string, extraPlugins: (d: string) => GraftPlugin[], log: (m: string) => void): Promise<Record<string, unknown>> {
  const r = await jobRecipe(data.recipe);
  const outDir = path.join(shared, data.dir);
  const folder = openRunFolder(outDir, jobLockOptions(ctx.lease.id, log));
  try {
    return await withLogger(path.join(outDir, 'log.jsonl'), async (logger) => {
      const res = await runPreset(recipePreset(r), {}, data.seed, {
        outDir,
        runFolder: folder,
        logger,
        interrupt: ctx.interrupt,
        extraPlugins,
        recordInConfig: { quiet: true, sweep: { job: ctx.lease.id, point: data.point } },
      });
      return { dir: data.dir, stages: Object.fromEntries(res.outcomes.map((o) => [o.name, o.result])) };
    });
  } finally {
    folder.release();
  }
}

/**
 * An experiment's cell: the experiment's `run` is called again with a runner that runs only this
 * job's sub-folder, hands the experiment the results of finished cells (the language model the
 * cells need), and never answers for the others, so the experiment stops there: its tables are
 * the sweep's to write, once every cell is done.
 */
async function runCell(ctx: JobContext, data: CellJobData, shared: string, extraPlugins: (d: string) => GraftPlugin[], log: (m: string) => void): Promise<Record<string, unknown>> {
  const r = await jobRecipe(data.recipe);
  if (!r.experiment) throw new GraftError(ErrorCodes.CONFIG, `job ${ctx.lease.id}: recipe ${r.name} has no experiment to take a cell from`);
  const runDir = path.join(shared, data.dir);
  const cellDir = path.join(runDir, data.subdir);
  mkdirSync(cellDir, { recursive: true });
  const lock = acquireRunLock(cellDir, jobLockOptions(ctx.lease.id, log));
  try {
    return await withLogger(path.join(cellDir, 'log.jsonl'), async (logger) => {
      // What graft run records with every stage of an experiment (recipePreset's config and recipe).
      const record = { preset: r.name, seed: data.seed, config: {}, recipe: recipeToData(r) };
      let found: (cell: Promise<Record<string, Record<string, unknown>>>) => void = () => {};
      const cell = new Promise<Promise<Record<string, Record<string, unknown>>>>((resolve) => (found = resolve));
      const never = new Promise<never>(() => {});
      const runner: ExperimentRunner = (subdir, stages, subSeed) => {
        if (path.normalize(subdir) === path.normalize(data.subdir)) {
          const run = runStages(cellDir, stages, subSeed ?? data.seed, record, { logger, interrupt: ctx.interrupt, extraPlugins });
          found(run.then((out) => Object.fromEntries(out.map((o) => [o.name, o.result]))));
          return never;
        }
        const done = finishedResults(path.join(runDir, subdir), stages);
        return done ? Promise.resolve(done) : never;
      };
      const experiment = r.experiment!.experiment.run(r, experimentOptions(r.experiment!), runner, runDir).then(
        () => {
          throw new GraftError(ErrorCodes.CONFIG, `job ${ctx.lease.id}: experiment ${r.experiment!.experiment.name} has no cell ${data.subdir}`);
        },
      );
      const stages = await Promise.race([cell, experiment]);
      return { dir: data.dir, subdir: data.subdir, stages: await stages };
    });
  } finally {
    lock.release();
  }
}
