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
 * and comparisons. Appends, never truncates, so a resumed run continues the same file.
 */
export class JsonlMetricsLogger implements GraftPlugin {
  readonly meta = {
    name: NAME,
    kind: 'logger',
    description: 'Appends training (every N steps) and evaluation metrics to a JSON-lines file',
  } as const;
  readonly options;
  private file: string | undefined;
  private buffer: string[] = [];
  /** Appends are chained so lines reach the file in the order they were produced. */
  private writing: Promise<void> = Promise.resolve();
  private madeDir = false;

  constructor(input: JsonlMetricsOptionsInput = {}) {
    this.options = resolveOptions(NAME, JSONL_METRICS_OPTIONS, input);
  }

  /** The file written to (known once the run has started or something was logged). */
  get path(): string | undefined {
    return this.file;
  }

  apply(trainer: TrainerApi): void {
    // Resolve the file before training so a missing folder fails at once, not at the first flush.
    trainer.tap('beforeRun', this, (ctx) => void this.resolveFile(ctx.trainer), { stage: 'observe' });
    trainer.tap('afterStep', this, (ctx) => this.onStep(ctx), { stage: 'observe' });
    trainer.tap('afterEval', this, (metrics, ctx) => this.onEval(metrics, ctx), { stage: 'observe' });
    trainer.tap('afterEpoch', this, (ctx) => this.flush(ctx.trainer), { stage: 'observe' });
    trainer.tap('afterRun', this, (ctx) => this.flush(ctx.trainer), { stage: 'observe' });
    trainer.tap('onError', this, (ctx) => this.flush(ctx.trainer), { stage: 'observe' });
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
    this.buffer.push(toJsonLine(trainRecord({ step: s.step, epoch: s.epoch, loss, lr, tokens: s.tokens, time: Date.now() / 1000 })));
    if (this.buffer.length >= this.options.flushEvery) await this.flush(ctx.trainer);
  }

  private async onEval(metrics: Metrics, ctx: EvalContext): Promise<Metrics> {
    const s = ctx.state;
    this.buffer.push(toJsonLine(evalRecord(s.step, s.epoch, ctx.split, Date.now() / 1000, metrics)));
    // Evaluations are rare and matter most: write at once, whatever the order of afterRun taps.
    await this.flush(ctx.trainer);
    return metrics;
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
