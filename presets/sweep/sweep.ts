import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clip, ErrorCodes, GraftError } from '../../core/index.ts';
import { configure, type Settings } from '../recipe/configure.ts';
import { experimentOptions } from '../recipe/experiment.ts';
import type { Recipe } from '../recipe/recipe.ts';
import { recipeToData } from '../recipe/recipeData.ts';
import { validateRecipe } from '../recipe/validateRecipe.ts';
import type { ExperimentRunner } from '../runner/Preset.ts';
import { sameRun } from '../runner/runPreset.ts';
import { writeJsonAtomic } from '../runner/writeAtomic.ts';
import { writeReport } from '../run-report/writeReport.ts';
import { DEFAULT_RETRY, waitForJob, type JobProgress, type JobQueue, type RetryPolicy } from './jobQueue.ts';
import { finishedResults } from './runJob.ts';
import { cellJobId, expandGrid, pointDirName, runJobId, type CellJobData, type RunJobData } from './sweepJobs.ts';
import { writeSweepReport, type SweepRun } from './sweepReport.ts';

export interface SweepOptions {
  /** The recipe with the command line's `--set` and `--use` applied. */
  recipe: Recipe;
  /** `--grid key=v1,v2`: keys of the recipe (aliases or derived keys) and their values as text. */
  grid?: readonly [string, readonly string[]][];
  /** `--seeds`: run seeds, one more axis of the grid; without it every run has `seed`. */
  seeds?: readonly number[];
  /** The run seed when `seeds` is not given (graft run's default: 42). */
  seed?: number;
  /** The shared directory: run folders, the report, and (embedded) the queue. */
  dir: string;
  queue: JobQueue;
  retry?: RetryPolicy;
  /** How often to look at a submitted job. */
  pollMs?: number;
  log?: (message: string) => void;
}

/** One run of the sweep, before it is queued: a grid point configured and checked. */
export interface SweepPoint {
  point: Record<string, string>;
  seed: number;
  recipe: Recipe;
  /** Its run folder, relative to the shared directory ('' = the shared directory itself: a sweep of one experiment). */
  dir: string;
  /** For a run without an experiment: its job id. */
  jobId?: string;
}

/**
 * Expand the grid into configured recipes, each checked (`configure`, then `validateRecipe`'s
 * pre-flight) before anything is queued: a bad key or value is a CONFIG error naming it (exit 2).
 * A key set both by `--set` (already in `recipe`) and by `--grid` is refused, as a key set twice is.
 */
export function planSweep(o: Pick<SweepOptions, 'recipe' | 'grid' | 'seeds' | 'seed'>, setKeys: readonly string[] = [], warn: (message: string) => void = () => {}): SweepPoint[] {
  const grid = o.grid ?? [];
  for (const [key] of grid) {
    if (setKeys.includes(key)) throw new GraftError(ErrorCodes.USAGE, `${clip(key)} is given by both --set and --grid`, { option: key, expected: 'each key once' });
  }
  const seeds = o.seeds ?? [];
  if (new Set(seeds).size !== seeds.length) throw new GraftError(ErrorCodes.USAGE, '--seeds repeats a seed', { received: seeds });
  const single = grid.length === 0 && seeds.length === 0;
  const points: SweepPoint[] = [];
  for (const point of expandGrid(grid)) {
    const recipe = configure(o.recipe, { set: point } satisfies Settings);
    for (const w of validateRecipe(recipe).warnings) warn(Object.keys(point).length ? `${Object.entries(point).map(([k, v]) => `${k}=${v}`).join(', ')}: ${w}` : w);
    for (const seed of seeds.length ? seeds : [o.seed ?? 42]) {
      const data = recipeToData(recipe);
      const jobId = recipe.experiment ? undefined : runJobId(data, seed);
      const dir = single ? '' : path.join('runs', pointDirName(point, seeds.length ? seed : undefined, jobId ?? runJobId(data, seed)));
      points.push({ point, seed, recipe, dir, ...(jobId ? { jobId } : {}) });
    }
  }
  return points;
}

export interface SweepSummary {
  runs: SweepRun[];
  /** Files of the sweep's report (report.md, report.json, compare.html). */
  report: { md: string; json: string; html: string };
  /** The experiment's own summary (single experiment sweep), as `graft run` prints it. */
  experiment?: Record<string, unknown>;
}

/**
 * Run a sweep: every point's run (or every cell of its experiment) is a job on `queue`, submitted
 * under an id hashed from what it computes (a job already known is not run again: its result is
 * reused); this waits for all of them (the workers run them), then writes the report over every
 * run in the shared directory (`report.md`, `report.json`, `compare.html`: `graft compare`'s table
 * and page). An experiment's cells are submitted as its `run` function starts them (the language
 * model first, then every cell at once), and its own tables are written here at the end, as
 * `graft run` writes them.
 */
export async function runSweep(o: SweepOptions, points: readonly SweepPoint[]): Promise<SweepSummary> {
  const shared = path.resolve(o.dir);
  mkdirSync(shared, { recursive: true });
  const retry = o.retry ?? DEFAULT_RETRY;
  const pollMs = o.pollMs ?? 250;
  const log = o.log ?? (() => {});
  const progress = (what: string) => (p: JobProgress) => log(`${what}: ${p.stage ?? ''} step ${p.step ?? '?'}${typeof p.loss === 'number' ? ` loss ${p.loss.toFixed(4)}` : ''}`);
  let experimentSummary: Record<string, unknown> | undefined;
  const runs = await Promise.all(
    points.map(async (pt): Promise<SweepRun> => {
      const label = pt.dir || path.basename(shared);
      if (pt.recipe.experiment) {
        const out = await sweepExperiment(o.queue, pt, shared, { retry, pollMs, log, progress });
        if (!pt.dir) experimentSummary = out;
        return { dir: pt.dir, label, point: pt.point, seed: pt.seed, jobs: out.jobs as string[] };
      }
      const data: RunJobData = { kind: 'run', dir: pt.dir, recipe: recipeToData(pt.recipe), seed: pt.seed, point: pt.point };
      // The shared directory as the run folder (a sweep of one run) holds the queue: its config.json, as
      // graft run writes it, is written first, so the runner knows the folder as this run's.
      if (!pt.dir) writeRunConfig(shared, { preset: pt.recipe.name, seed: pt.seed, config: {}, recipe: data.recipe });
      const added = await o.queue.add(pt.jobId!, data, retry);
      log(`${label}: job ${pt.jobId} ${added === 'exists' ? 'already submitted (its result is reused)' : added}`);
      await waitForJob(o.queue, pt.jobId!, pollMs, progress(label));
      log(`${label}: done`);
      return { dir: pt.dir, label, point: pt.point, seed: pt.seed, jobs: [pt.jobId!] };
    }),
  );
  const report = writeSweepReport(shared, runs);
  const { jobs: _jobs, ...experiment } = experimentSummary ?? {};
  return { runs, report, ...(experimentSummary ? { experiment } : {}) };
}

/**
 * An experiment as jobs: its `run` function called here with a runner that submits each cell it
 * starts and resolves with the cell's results once a worker completed it; its run folder gets the
 * `config.json` `graft run` writes (so `graft report`, `graft resume` and `graft run` know it).
 */
async function sweepExperiment(
  queue: JobQueue,
  pt: SweepPoint,
  shared: string,
  o: { retry: RetryPolicy; pollMs: number; log: (m: string) => void; progress: (what: string) => (p: JobProgress) => void },
): Promise<Record<string, unknown>> {
  const r = pt.recipe;
  const runDir = path.join(shared, pt.dir);
  mkdirSync(runDir, { recursive: true });
  const recipe = recipeToData(r);
  const record = { preset: r.name, seed: pt.seed, config: {}, recipe };
  writeRunConfig(runDir, record);
  const jobs: string[] = [];
  const runner: ExperimentRunner = (subdir, stages, subSeed) => {
    const p = runCellJob(subdir, stages, subSeed);
    // The experiment awaits its cells in order: after a failure the later ones are never awaited.
    p.catch(() => {});
    return p;
  };
  const runCellJob = async (subdir: string, stages: Parameters<ExperimentRunner>[1], subSeed: number | undefined) => {
    const data: CellJobData = { kind: 'cell', dir: pt.dir, subdir, recipe, seed: pt.seed, ...(subSeed !== undefined ? { cellSeed: subSeed } : {}) };
    const id = cellJobId(data);
    jobs.push(id);
    const what = path.join(pt.dir, subdir);
    const added = await queue.add(id, data, o.retry);
    o.log(`${what}: job ${id} ${added === 'exists' ? 'already submitted (its result is reused)' : added}`);
    await waitForJob(queue, id, o.pollMs, o.progress(what));
    o.log(`${what}: done`);
    const results = finishedResults(path.join(runDir, subdir), stages);
    if (!results) throw new GraftError(ErrorCodes.IO, `job ${id} completed, but ${path.join(runDir, subdir)} lacks a stage's result.json`, { hint: 'The sweep directory must be one shared folder for every worker (see the README, "Experiments on several machines")' });
    return results;
  };
  const out = await r.experiment!.experiment.run(r, experimentOptions(r.experiment!), runner, runDir);
  try {
    writeReport(runDir);
  } catch (e) {
    o.log(`report.html not written: ${(e as Error).message}`);
  }
  return { ...out, jobs };
}

/**
 * A run folder's `config.json` as `graft run` writes it, unless the folder holds a run of another
 * configuration (a CONFIG error; an experiment's grid values may differ: its cells are reused).
 */
function writeRunConfig(runDir: string, record: { preset: string; seed: number; config: object; recipe: unknown }): void {
  const cfgFile = path.join(runDir, 'config.json');
  if (existsSync(cfgFile)) {
    const prev = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    if (!sameRun(prev, record)) {
      throw new GraftError(ErrorCodes.CONFIG, `the folder ${runDir} holds a run of a different configuration`, { hint: 'Use another --out folder' });
    }
  }
  mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(cfgFile, { ...record, quiet: true, created: new Date().toISOString() });
}
