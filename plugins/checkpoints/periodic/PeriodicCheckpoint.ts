import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CoreResources,
  ErrorCodes,
  GraftError,
  MANIFEST,
  resolveCheckpointDir,
  formatNumber,
  intervalPerRun,
  plannedSteps,
  resolveOptions,
  type Manifest,
  type EvalContext,
  type GraftPlugin,
  type Metrics,
  type PluginState,
  type RunContext,
  type TrainerApi,
} from '../../../core/index.ts';
import { isImprovement } from '../../callbacks/early-stopping/isImprovement.ts';
import { isLeftover } from '../../../core/checkpoint/atomicDir.ts';
import { checkpointsToPrune } from './checkpointsToPrune.ts';
import { writeLatest } from './latestPointer.ts';
import { PERIODIC_CHECKPOINT_OPTIONS, type PeriodicCheckpointOptionsInput } from './options.ts';
import { stepDirName } from './stepDirName.ts';

const NAME = 'checkpoint:periodic';
export const BEST_DIR = 'best';

interface PeriodicState {
  /** Step of the last step checkpoint written (-1: none). */
  lastSavedStep: number;
  /** Best monitored value and its step (null / -1: none yet). */
  bestValue: number | null;
  bestStep: number;
}

/**
 * Saves `<dir>/step-<n>` every N steps and at the end, keeps the newest K, keeps `<dir>/best`
 * whenever the monitored metric improves, and points `<dir>/latest.json` at the newest save.
 */
export class PeriodicCheckpoint implements GraftPlugin {
  static readonly meta = {
    name: NAME,
    kind: 'checkpoint',
    description: 'Saves checkpoints every N steps and at the end, keeps the last K, the best one and a latest pointer',
  } as const;
  static readonly options = PERIODIC_CHECKPOINT_OPTIONS;
  readonly meta = PeriodicCheckpoint.meta;
  readonly options;
  private s: PeriodicState = { lastSavedStep: -1, bestValue: null, bestStep: -1 };
  private dir: string | undefined;
  /** Between beforeRun and the end of afterRun: evaluations then may update `best`. */
  private inRun = false;
  /** Steps between saves in this run: `every`, or from `perRun` when the run starts. */
  private every: number;

  constructor(input: PeriodicCheckpointOptionsInput = {}) {
    this.options = resolveOptions(NAME, PERIODIC_CHECKPOINT_OPTIONS, input);
    this.every = this.options.every;
  }

  /** The checkpoint folder (known once the run has started). */
  get folder(): string | undefined {
    return this.dir;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('beforeRun', this, (ctx) => {
      // Fail before training rather than at the first save.
      this.dir = this.resolveDir(ctx.trainer);
      if (this.options.params === 'trainable' && !ctx.trainer.resources.has(CoreResources.baseCheckpoint)) {
        throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, 'saves adapter-only checkpoints, but the run has no base checkpoint to save them on', {
          plugin: NAME,
          option: 'params',
          hint: 'Start the run from a checkpoint with init:from-checkpoint (it offers resource "baseCheckpoint"), or set params: "all"',
        });
      }
      this.inRun = true;
      const s = ctx.state;
      const o = this.options;
      this.every = o.perRun > 0 ? intervalPerRun(o.every, o.perRun, plannedSteps(s.maxSteps, s.maxEpochs, ctx.trainer.role('dataset').numBatches('train'))) : o.every;
      // A `best` left by an earlier attempt of this run is replaced only by a better model.
      if (this.options.best && this.s.bestValue === null) this.adoptBestOnDisk(ctx.trainer);
    });
    // Stage `last`: the checkpoint then holds this step's evaluation and early-stopping state.
    trainer.tap('afterStep', this, async (ctx) => {
      const every = this.every;
      const step = ctx.state.step;
      if (every > 0 && step > 0 && step % every === 0 && step !== this.s.lastSavedStep) await this.saveStep(ctx);
    }, { stage: 'last' });
    trainer.tap('afterEval', this, (metrics, ctx) => this.maybeSaveBest(metrics, ctx), { stage: 'observe' });
    trainer.tap('afterRun', this, async (ctx) => {
      try {
        // After a failure the parameters may be broken (NaN); the periodic saves stay the last good ones.
        if (this.options.atEnd && ctx.state.stopReason !== 'error' && ctx.state.step !== this.s.lastSavedStep) await this.saveStep(ctx);
      } finally {
        this.inRun = false;
      }
    }, { stage: 'last' });
  }

  private resolveDir(trainer: TrainerApi): string {
    if (this.options.dir !== undefined) return this.options.dir;
    const runDir = trainer.resources.get(CoreResources.runDir);
    if (runDir === undefined) {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, 'has no folder to save to', {
        plugin: NAME,
        option: 'dir',
        expected: 'a folder, since the run has no run folder (resource "runDir") to default to',
      });
    }
    return path.join(runDir, 'checkpoints');
  }

  private async saveStep(ctx: RunContext): Promise<void> {
    const dir = this.dir ?? this.resolveDir(ctx.trainer);
    const step = ctx.state.step;
    const name = stepDirName(step);
    // Recorded before saving so the checkpoint itself knows it was saved (no second save at the end after resuming it).
    const before = this.s.lastSavedStep;
    this.s.lastSavedStep = step;
    try {
      // Refused (GRAFT_ERR_NON_FINITE, nothing written) if the run diverged: `latest` and the kept
      // checkpoints then stay as they are, the last good one included.
      await ctx.trainer.save(path.join(dir, name), { params: this.options.params });
    } catch (e) {
      this.s.lastSavedStep = before;
      throw e;
    }
    await writeLatest(dir, { dir: name, step });
    // Temporary folders of a live writer (another process saving here) are never pruned.
    for (const e of checkpointsToPrune(await fs.readdir(dir), this.options.keep, step).filter((e) => !/\.(tmp|old)-/.test(e) || isLeftover(dir, e))) {
      await fs.rm(path.join(dir, e), { recursive: true, force: true });
    }
    ctx.trainer.logger.info(`${NAME}: saved ${path.join(dir, name)}`);
  }

  /**
   * Save a step checkpoint now and point `latest.json` at it, unless this step is saved already
   * (a run stopped by a signal saves here, as at the end of a run). Returns the checkpoint folder.
   */
  async saveNow(ctx: RunContext): Promise<string> {
    const dir = this.dir ?? this.resolveDir(ctx.trainer);
    if (ctx.state.step !== this.s.lastSavedStep) await this.saveStep(ctx);
    return path.join(dir, stepDirName(ctx.state.step));
  }

  /** Take the best value from `<dir>/best` if it was written with the same monitor and mode. */
  private adoptBestOnDisk(trainer: TrainerApi): void {
    const found = resolveCheckpointDir(path.join(this.dir!, BEST_DIR));
    if (!found) return;
    try {
      const m = JSON.parse(readFileSync(path.join(found, MANIFEST), 'utf8')) as Manifest;
      const prev = m.plugins?.[NAME];
      const opts = (prev?.options ?? {}) as { monitor?: unknown; mode?: unknown };
      const st = (prev?.state ?? {}) as Partial<PeriodicState>;
      if (opts.monitor !== this.options.monitor || opts.mode !== this.options.mode || typeof st.bestValue !== 'number') return;
      this.s.bestValue = st.bestValue;
      this.s.bestStep = typeof st.bestStep === 'number' ? st.bestStep : -1;
      trainer.logger.info(`${NAME}: ${found} holds ${this.options.monitor} ${st.bestValue} (step ${this.s.bestStep}); only a better model replaces it`);
    } catch (e) {
      trainer.logger.warn(`${NAME}: could not read ${found} (${(e as Error).message}); the next evaluation replaces it`);
    }
  }

  private async maybeSaveBest(metrics: Metrics, ctx: EvalContext): Promise<Metrics> {
    if (!this.options.best || !this.inRun) return metrics;
    const value = metrics[this.options.monitor];
    // A NaN is never best (and the trainer refuses to save a diverged model anyway).
    if (value === undefined || !Number.isFinite(value) || !isImprovement(value, this.s.bestValue, this.options.mode, 0)) return metrics;
    const before = { bestValue: this.s.bestValue, bestStep: this.s.bestStep };
    this.s.bestValue = value;
    this.s.bestStep = ctx.state.step;
    const target = path.join(this.dir ?? this.resolveDir(ctx.trainer), BEST_DIR);
    try {
      await ctx.trainer.save(target, { params: this.options.params });
    } catch (e) {
      Object.assign(this.s, before);
      throw e;
    }
    ctx.trainer.logger.info(`${NAME}: ${this.options.monitor} ${formatNumber(value)} is the best so far; saved ${target}`);
    return metrics;
  }

  /** Best monitored value and its step, and the last saved step (a copy). */
  get progress(): Readonly<PeriodicState> {
    return { ...this.s };
  }

  getState(): PluginState {
    return { json: { ...this.s } };
  }

  setState(state: PluginState): void {
    const j = (state.json ?? {}) as Partial<PeriodicState>;
    this.s = {
      lastSavedStep: typeof j.lastSavedStep === 'number' ? j.lastSavedStep : -1,
      bestValue: typeof j.bestValue === 'number' ? j.bestValue : null,
      bestStep: typeof j.bestStep === 'number' ? j.bestStep : -1,
    };
  }
}
