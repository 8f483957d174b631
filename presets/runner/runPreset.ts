import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'winston';
import {
  CoreResources,
  createLogger,
  createTrainer,
  ErrorCodes,
  GraftError,
  ioError,
  type GraftPlugin,
  type OptionSchema,
  type ResolvedOptions,
  type Trainer,
} from '../../core/index.ts';
import type { Preset, StageContext, StageSpec } from './Preset.ts';
import { openRunFolder, type RunFolder } from './runFolder.ts';

export interface RunOptions {
  /** The run folder; created if absent. */
  outDir: string;
  /** Re-run stages that are already complete in the run folder. */
  force?: boolean;
  logger?: Logger;
  /** Extra plugins added to every stage (progress bars, loggers), made per stage. */
  extraPlugins?: (stageDir: string) => GraftPlugin[];
  /** Called with each trainer once built (the CLI wires Ctrl-C to it). */
  onTrainer?: (trainer: Trainer | undefined) => void;
  /**
   * The run folder, already opened (checked and locked) by the caller, as the CLI does before it
   * opens its log file there; it is not released here. Default: `runPreset` opens `outDir` with
   * `openRunFolder` (one Graft process per run folder) and releases it when done.
   */
  runFolder?: RunFolder;
}

export interface StageOutcome {
  name: string;
  skipped: boolean;
  checkpoint: string;
  result: Record<string, unknown>;
}

const RESULT = 'result.json';

/** Write JSON via a temporary file and a rename, so a killed run never leaves half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2) + '\n';
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    // A failed write (disk full) leaves no temporary file behind; the old file, if any, is intact.
    rmSync(tmp, { force: true });
    throw ioError(e, { action: `write ${path.basename(file)}`, file, bytes: Buffer.byteLength(text) });
  }
}

/**
 * Run stages in order in `dir`. A stage whose `result.json` exists is complete and is skipped
 * (unless `force`); its checkpoint and result are handed to later stages all the same.
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
    if (!opts.force && existsSync(resultFile)) {
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>;
      opts.logger.info(`stage ${stage.name}: already complete in ${stageDir}, skipped (use --force to re-run)`);
      ctx.checkpoints[stage.name] = checkpoint;
      ctx.results[stage.name] = result;
      outcomes.push({ name: stage.name, skipped: true, checkpoint, result });
      continue;
    }
    mkdirSync(stageDir, { recursive: true });
    opts.logger.info(`stage ${stage.name}: ${stage.description}`);
    const trainer = createTrainer({
      plugins: [...stage.plugins(ctx), ...(opts.extraPlugins?.(stageDir) ?? [])],
      options: { seed, ...stage.options(ctx) },
      logger: opts.logger,
    });
    trainer.resources.set(CoreResources.runDir, stageDir);
    trainer.resources.set(CoreResources.config, { ...(config as object), stage: stage.name });
    opts.onTrainer?.(trainer);
    try {
      const started = Date.now();
      const fit = await trainer.fit();
      await trainer.save(checkpoint);
      const extra = (await stage.after?.(trainer, ctx)) ?? {};
      const result = {
        stopReason: fit.stopReason,
        steps: fit.state.step,
        tokens: fit.state.tokens,
        seconds: (Date.now() - started) / 1000,
        metrics: fit.metrics,
        ...extra,
      };
      writeJsonAtomic(resultFile, result);
      ctx.checkpoints[stage.name] = checkpoint;
      ctx.results[stage.name] = result;
      outcomes.push({ name: stage.name, skipped: false, checkpoint, result });
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
    return await runPresetLocked(preset, config, seed, opts, dir, logger);
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
  const record = { preset: preset.name, seed, config };
  const cfgFile = path.join(dir, 'config.json');
  if (existsSync(cfgFile) && !opts.force) {
    const prev = JSON.parse(readFileSync(cfgFile, 'utf8'));
    if (JSON.stringify(prev.config) !== JSON.stringify(config) || prev.preset !== preset.name || prev.seed !== seed) {
      throw new GraftError(ErrorCodes.CONFIG, `the run folder ${dir} holds a run of a different configuration`, {
        hint: 'Use another --out folder, or --force to overwrite its stages',
      });
    }
  }
  writeJsonAtomic(cfgFile, { ...record, created: new Date().toISOString() });
  if (preset.experiment) {
    const experiment = await preset.experiment(config, async (subdir, stages, subSeed) => {
      const out = await runStages(path.join(dir, subdir), stages, subSeed ?? seed, record, { ...opts, logger });
      return Object.fromEntries(out.map((o) => [o.name, o.result]));
    }, dir);
    return { outcomes: [], experiment };
  }
  const outcomes = await runStages(dir, preset.stages(config), seed, record, { ...opts, logger });
  return { outcomes };
}
