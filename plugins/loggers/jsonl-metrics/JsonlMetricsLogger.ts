import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  CoreResources,
  ErrorCodes,
  GraftError,
  resolveOptions,
  type EvalContext,
  type GraftPlugin,
  type Metrics,
  type PluginState,
  type StepContext,
  type TrainerApi,
} from '../../../core/index.ts';
import { primaryRate } from '../shared/primaryRate.ts';
import { JSONL_METRICS_OPTIONS, type JsonlMetricsOptionsInput } from './options.ts';
import { evalRecord, toJsonLine, trainRecord } from './records.ts';

const NAME = 'logger:jsonl-metrics';
export const DEFAULT_METRICS_FILE = 'metrics.jsonl';

/**
 * Appends training and evaluation metrics to a JSON-lines file: one object a line, for plots
 * and comparisons. A run resumed from a checkpoint continues the same file from the line the
 * checkpoint was taken at: the lines written after it (by the attempt that was cut short) are
 * dropped first, so the file never holds two histories of one run.
 */
export class JsonlMetricsLogger implements GraftPlugin {
  static readonly meta = {
    name: NAME,
    kind: 'logger',
    description: 'Appends training (every N steps) and evaluation metrics to a JSON-lines file',
  } as const;
  static readonly options = JSONL_METRICS_OPTIONS;
  readonly meta = JsonlMetricsLogger.meta;
  readonly options;
  private file: string | undefined;
  private buffer: string[] = [];
  /** Appends are chained so lines reach the file in the order they were produced. */
  private writing: Promise<void> = Promise.resolve();
  private madeDir = false;
  /** Lines of the file that belong to this run: written, plus buffered (undefined: not counted yet). */
  private lines: number | undefined;
  /** From `setState`: the file is cut back to this many lines when the checkpoint has loaded. */
  private restoreTo: number | undefined;

  constructor(input: JsonlMetricsOptionsInput = {}) {
    this.options = resolveOptions(NAME, JSONL_METRICS_OPTIONS, input);
  }

  /** The file written to (known once the run has started or something was logged). */
  get path(): string | undefined {
    return this.file;
  }

  apply(trainer: TrainerApi): void {
    // Resolve the file before training so a missing folder fails at once, not at the first flush.
    trainer.tap('beforeRun', this, async (ctx) => {
      const file = this.resolveFile(ctx.trainer);
      // A fresh run appends to what the file holds already.
      if (this.lines === undefined) {
        await this.writing.catch(() => undefined);
        this.lines = countLines(await readIfExists(file)) + this.buffer.length;
      }
    }, { stage: 'observe' });
    // Every line so far is on disk before a checkpoint records how many there are.
    trainer.tap('beforeSave', this, (ctx) => this.flushQuietly(ctx.trainer), { stage: 'observe' });
    trainer.tap('afterLoad', this, (ctx) => this.restoreFile(ctx.trainer, ctx.state.step), { stage: 'observe' });
    trainer.tap('afterStep', this, (ctx) => this.onStep(ctx), { stage: 'observe' });
    trainer.tap('afterEval', this, (metrics, ctx) => this.onEval(metrics, ctx), { stage: 'observe' });
    trainer.tap('afterEpoch', this, (ctx) => this.flush(ctx.trainer), { stage: 'observe' });
    trainer.tap('afterRun', this, (ctx) => this.flush(ctx.trainer), { stage: 'observe' });
    trainer.tap('onError', this, (ctx) => this.flush(ctx.trainer), { stage: 'observe' });
  }

  /** The file, or undefined when there is neither the option nor a run folder (no throw). */
  private fileIfKnown(trainer: TrainerApi): string | undefined {
    if (this.file === undefined && this.options.file === undefined && trainer.resources.get(CoreResources.runDir) === undefined) return undefined;
    return this.resolveFile(trainer);
  }

  private async flushQuietly(trainer: TrainerApi): Promise<void> {
    if (this.fileIfKnown(trainer) === undefined) return;
    try {
      await this.flush(trainer);
    } catch (e) {
      trainer.logger.warn(`${NAME}: could not write ${this.file} before a checkpoint (${(e as Error).message}); the lines stay buffered`);
    }
  }

  /**
   * After a checkpoint loaded: cut the file back to the lines it had when the checkpoint was
   * taken (its state), or, for a checkpoint written without this logger that the run resumes, to
   * the records of steps up to the checkpoint's. Written to a new file renamed over the old one.
   */
  private async restoreFile(trainer: TrainerApi, step: number): Promise<void> {
    const keep = this.restoreTo;
    this.restoreTo = undefined;
    const resumedWithout = keep === undefined && this.lines === undefined && trainer.resources.get(CoreResources.resume) !== undefined;
    if (keep === undefined && !resumedWithout) return;
    const file = this.fileIfKnown(trainer);
    if (file === undefined) return;
    await this.writing.catch(() => undefined);
    const text = await readIfExists(file);
    const kept = keep !== undefined ? firstLines(text, keep) : recordsUpTo(text, step);
    if (keep === undefined) this.lines = countLines(kept);
    if (kept.length === text.length) return;
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(kept, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    trainer.logger.info(`${NAME}: ${file} cut back to the ${countLines(kept)} lines of the checkpoint (step ${step})`);
  }

  private resolveFile(trainer: TrainerApi): string {
    if (this.file !== undefined) return this.file;
    if (this.options.file !== undefined) return (this.file = this.options.file);
    const runDir = trainer.resources.get(CoreResources.runDir);
    if (runDir === undefined) {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, 'has no file to write to', {
        plugin: NAME,
        option: 'file',
        expected: 'a file path, since the run has no run folder (resource "runDir") to default to',
      });
    }
    return (this.file = path.join(runDir, DEFAULT_METRICS_FILE));
  }

  private async onStep(ctx: StepContext): Promise<void> {
    const s = ctx.state;
    if (s.step % this.options.every !== 0 || !ctx.loss) return;
    // Read only on the steps that are written: an awaited read, not a per-step sync.
    const loss = (await ctx.loss.data())[0]!;
    const lr = primaryRate(ctx.trainer.role('optimizer').groupRates()) ?? null;
    this.push(toJsonLine(trainRecord({ step: s.step, epoch: s.epoch, loss, lr, tokens: s.tokens, time: Date.now() / 1000 })));
    if (this.buffer.length >= this.options.flushEvery) await this.flush(ctx.trainer);
  }

  private async onEval(metrics: Metrics, ctx: EvalContext): Promise<Metrics> {
    const s = ctx.state;
    this.push(toJsonLine(evalRecord(s.step, s.epoch, ctx.split, Date.now() / 1000, metrics)));
    // Evaluations are rare and matter most: write at once, whatever the order of afterRun taps.
    await this.flush(ctx.trainer);
    return metrics;
  }

  private push(line: string): void {
    this.buffer.push(line);
    if (this.lines !== undefined) this.lines++;
  }

  /** Lines of the file this run has produced (a checkpoint's logger state), once counted. */
  getState(): PluginState {
    return { json: this.lines === undefined ? {} : { lines: this.lines } };
  }

  setState(state: PluginState): void {
    const n = (state.json as { lines?: unknown } | undefined)?.lines;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return;
    this.lines = n;
    this.restoreTo = n;
  }

  /** Append the buffered lines to the file. */
  async flush(trainer: TrainerApi): Promise<void> {
    // A failed earlier write has already been reported to its caller; this one goes on.
    const previous = this.writing.catch(() => undefined);
    if (this.buffer.length === 0) return previous;
    const file = this.resolveFile(trainer);
    const text = this.buffer.join('');
    this.buffer = [];
    this.writing = previous.then(async () => {
      try {
        if (!this.madeDir) {
          await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
          this.madeDir = true;
        }
        await fs.appendFile(file, text, 'utf8');
      } catch (e) {
        // Keep the lines for the next flush rather than drop them.
        this.buffer.unshift(text);
        throw e;
      }
    });
    return this.writing;
  }
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** Complete lines (ending in a newline) of a text. */
export function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The first `n` complete lines of a text (fewer if it has fewer; a torn last line is dropped). */
export function firstLines(text: string, n: number): string {
  let end = 0;
  for (let k = 0; k < n; k++) {
    const i = text.indexOf('\n', end);
    if (i < 0) break;
    end = i + 1;
  }
  return text.slice(0, end);
}

/** The complete, parseable lines of a text whose record has no step or a step up to `step`. */
export function recordsUpTo(text: string, step: number): string {
  const out: string[] = [];
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a torn line
  for (const line of lines) {
    try {
      const r = JSON.parse(line) as { step?: unknown };
      if (typeof r.step !== 'number' || r.step <= step) out.push(line + '\n');
    } catch {
      // a torn or foreign line: dropped
    }
  }
  return out.join('');
}
