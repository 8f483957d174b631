import {
  resolveOptions,
  type EvalContext,
  type GraftPlugin,
  type Metrics,
  type RunContext,
  type StepContext,
  type TrainerApi,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { primaryRate } from '../shared/primaryRate.ts';
import { formatDuration } from './formatDuration.ts';
import { formatMetrics } from './formatMetrics.ts';
import { formatProgressLine, type ProgressInfo } from './formatProgressLine.ts';
import { epochBound, fractionDone, totalSteps, type RunPosition } from './progress.ts';
import { eta, throughput } from './rate.ts';

export const CONSOLE_PROGRESS_OPTIONS = {
  mode: {
    type: 'enum',
    values: ['auto', 'bar', 'lines'],
    default: 'auto',
    doc: 'bar: one line redrawn in place; lines: log lines every N steps; auto: bar on a terminal, else lines.',
  },
  everyMs: { type: 'integer', default: 250, min: 0, doc: 'Bar mode: redraw at most this often (milliseconds).' },
  every: { type: 'integer', default: 50, min: 1, doc: 'Lines mode: log a line every N steps.' },
  barWidth: { type: 'integer', default: 20, min: 0, doc: 'Bar mode: cells of the bar (0: percentage only).' },
} as const satisfies OptionSchema;

export type ConsoleProgressOptionsInput = InputOptions<typeof CONSOLE_PROGRESS_OPTIONS>;

/** Return to the start of the line and clear it (ANSI "erase to end of line"). */
const CLEAR_LINE = '\r\x1b[K';

/** Where the bar is drawn: a terminal stream (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ConsoleProgressIo {
  stream?: ProgressStream;
  /** Milliseconds, monotonic (performance.now by default). */
  now?: () => number;
}

/**
 * Training progress on the console: a bar redrawn in place on a terminal, plain log lines
 * through the trainer's logger otherwise, and each evaluation's metrics.
 */
export class ConsoleProgressLogger implements GraftPlugin {
  static readonly meta = {
    name: 'logger:console-progress',
    kind: 'logger',
    description: 'Progress bar (terminal) or log lines every N steps: step, epoch, loss, tokens/s, lr, ETA; evaluation metrics',
  } as const satisfies PluginMeta;
  static readonly options = CONSOLE_PROGRESS_OPTIONS;
  readonly meta = ConsoleProgressLogger.meta;
  readonly options;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private bar = false;
  private barVisible = false;
  private batchesPerEpoch = 0;
  private startMs = 0;
  private startTokens = 0;
  private startFraction = 0;
  private lastDrawMs = -Infinity;
  private lastLoss: number | undefined;

  constructor(input: ConsoleProgressOptionsInput = {}, io: ConsoleProgressIo = {}) {
    this.options = resolveOptions(this.meta.name, CONSOLE_PROGRESS_OPTIONS, input);
    this.stream = io.stream ?? process.stderr;
    this.now = io.now ?? (() => performance.now());
  }

  /** Whether this run draws a bar (decided at beforeRun). */
  get drawsBar(): boolean {
    return this.bar;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('beforeRun', this, (ctx) => this.start(ctx), { stage: 'observe' });
    trainer.tap('afterStep', this, (ctx) => this.onStep(ctx), { stage: 'observe' });
    trainer.tap('afterEval', this, (metrics, ctx) => this.onEval(metrics, ctx), { stage: 'observe' });
    trainer.tap('afterRun', this, (ctx) => this.finish(ctx), { stage: 'observe' });
  }

  private start(ctx: RunContext): void {
    const { mode } = this.options;
    this.bar = mode === 'bar' || (mode === 'auto' && this.stream.isTTY === true);
    this.batchesPerEpoch = ctx.trainer.role('dataset').numBatches('train');
    this.startMs = this.now();
    this.startTokens = ctx.state.tokens;
    this.startFraction = fractionDone(this.position(ctx)) ?? 0;
    this.lastDrawMs = -Infinity;
    this.lastLoss = undefined;
  }

  private async onStep(ctx: StepContext): Promise<void> {
    const t = this.now();
    const due = this.bar ? t - this.lastDrawMs >= this.options.everyMs : ctx.state.step % this.options.every === 0;
    if (!due) return;
    this.lastDrawMs = t;
    // Only on the steps that print: an awaited read does not stall the backend every step.
    if (ctx.loss) this.lastLoss = (await ctx.loss.data())[0];
    this.print(ctx, t);
  }

  private onEval(metrics: Metrics, ctx: EvalContext): Metrics {
    this.clearBar();
    ctx.trainer.logger.info(formatMetrics(ctx.split, ctx.state.step, metrics));
    return metrics;
  }

  private finish(ctx: RunContext): void {
    const t = this.now();
    if (this.bar) {
      this.print(ctx, t);
      this.stream.write('\n');
      this.barVisible = false;
    }
    const secs = (t - this.startMs) / 1000;
    ctx.trainer.logger.info(`${this.meta.name}: ${ctx.state.stopReason ?? 'done'} after ${ctx.state.step} steps in ${formatDuration(secs)}`);
  }

  private print(ctx: RunContext, t: number): void {
    const info = this.info(ctx, t);
    if (this.bar) {
      const cols = this.stream.columns ?? 100;
      this.stream.write(CLEAR_LINE + formatProgressLine(info, { barWidth: this.options.barWidth, maxWidth: cols - 1 }));
      this.barVisible = true;
    } else {
      ctx.trainer.logger.info(formatProgressLine(info));
    }
  }

  /** Log lines printed while the bar is on screen would be glued to it: clear it first. */
  private clearBar(): void {
    if (!this.barVisible) return;
    this.stream.write(CLEAR_LINE);
    this.barVisible = false;
  }

  private position(ctx: RunContext): RunPosition {
    const s = ctx.state;
    return {
      step: s.step,
      epoch: s.epoch,
      batchInEpoch: s.batchInEpoch,
      maxSteps: s.maxSteps,
      maxEpochs: s.maxEpochs,
      batchesPerEpoch: this.batchesPerEpoch,
    };
  }

  private info(ctx: RunContext, t: number): ProgressInfo {
    const pos = this.position(ctx);
    const secs = (t - this.startMs) / 1000;
    const fraction = fractionDone(pos);
    return {
      step: pos.step,
      totalSteps: totalSteps(pos),
      fraction,
      epoch: pos.epoch,
      epochs: pos.maxEpochs,
      epochBound: epochBound(pos),
      loss: this.lastLoss,
      tokensPerSecond: throughput(ctx.state.tokens - this.startTokens, secs),
      lr: primaryRate(ctx.trainer.role('optimizer').groupRates()),
      etaSeconds: fraction === undefined ? undefined : eta(this.startFraction, fraction, secs),
    };
  }
}
