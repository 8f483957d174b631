import {
  intervalPerRun,
  plannedSteps,
  resolveOptions,
  type GraftPlugin,
  type PluginState,
  type RunContext,
  type Split,
  type TrainerApi,
  type PluginMeta,
  type InputOptions,
  type OptionSchema,
} from '../../../core/index.ts';
import { evaluationDue, type EvalTrigger } from './evaluationDue.ts';

export const EVALUATE_OPTIONS = {
  every: { type: 'integer', default: 0, min: 0, doc: 'Evaluate every N optimizer steps (0: off).' },
  perRun: { type: 'integer', default: 0, min: 0, doc: "Evaluate this many times a run, evenly spaced: every = max(1, round(planned steps / perRun)), planned steps from the run's limits when it starts (maxSteps, or epochs × batches per epoch, whichever comes first); overrides every (0: use every)." },
  atEpochEnd: { type: 'boolean', default: true, doc: 'Evaluate when an epoch ends (afterEpoch).' },
  atEnd: { type: 'boolean', default: true, doc: 'Evaluate when the run ends (afterRun), unless it failed.' },
  split: { type: 'enum', values: ['train', 'validation', 'test'], default: 'validation', doc: 'The split to evaluate on.' },
} as const satisfies OptionSchema;

export type EvaluateOptionsInput = InputOptions<typeof EVALUATE_OPTIONS>;

/** Runs `trainer.evaluate(split)` every N steps (or `perRun` times a run), at epoch ends and at the end of the run. */
export class EvaluateCallback implements GraftPlugin {
  static readonly meta = {
    name: 'callback:evaluate',
    kind: 'callback',
    description: 'Evaluates on the validation split every N steps, at epoch ends and at the end of the run',
  } as const satisfies PluginMeta;
  static readonly options = EVALUATE_OPTIONS;
  readonly meta = EvaluateCallback.meta;
  readonly options;
  /** Step of the last evaluation this plugin ran (-1: none yet). */
  private lastEvalStep = -1;
  /** Steps between evaluations in this run: `every`, or from `perRun` when the run starts. */
  private every: number;

  constructor(input: EvaluateOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, EVALUATE_OPTIONS, input);
    this.every = this.options.every;
  }

  /** Steps between evaluations in the current run (after `perRun` is applied at its start). */
  get interval(): number {
    return this.every;
  }

  apply(trainer: TrainerApi): void {
    if (this.options.perRun > 0) {
      trainer.tap('beforeRun', this, (ctx) => {
        const s = ctx.state;
        this.every = intervalPerRun(this.options.every, this.options.perRun, plannedSteps(s.maxSteps, s.maxEpochs, trainer.role('dataset').numBatches('train')));
      });
    }
    trainer.tap('afterStep', this, (ctx) => this.maybeEvaluate('step', ctx));
    trainer.tap('afterEpoch', this, (ctx) => this.maybeEvaluate('epoch', ctx));
    trainer.tap('afterRun', this, async (ctx) => {
      // After a failure the model may be broken (NaN); evaluating would only add a second error.
      if (ctx.state.stopReason === 'error') return;
      await this.maybeEvaluate('end', ctx);
    });
  }

  /** The step of the last evaluation this plugin ran, or -1. */
  get lastEvaluatedStep(): number {
    return this.lastEvalStep;
  }

  private async maybeEvaluate(trigger: EvalTrigger, ctx: RunContext): Promise<void> {
    const step = ctx.state.step;
    if (!evaluationDue(trigger, step, this.lastEvalStep, { ...this.options, every: this.every })) return;
    this.lastEvalStep = step;
    await ctx.trainer.evaluate(this.options.split as Split);
  }

  getState(): PluginState {
    return { json: { lastEvalStep: this.lastEvalStep } };
  }

  setState(s: PluginState): void {
    const j = s.json as { lastEvalStep?: number } | undefined;
    this.lastEvalStep = typeof j?.lastEvalStep === 'number' ? j.lastEvalStep : -1;
  }
}
