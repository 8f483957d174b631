import {
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
  atEpochEnd: { type: 'boolean', default: true, doc: 'Evaluate when an epoch ends (afterEpoch).' },
  atEnd: { type: 'boolean', default: true, doc: 'Evaluate when the run ends (afterRun), unless it failed.' },
  split: { type: 'enum', values: ['train', 'validation', 'test'], default: 'validation', doc: 'The split to evaluate on.' },
} as const satisfies OptionSchema;

export type EvaluateOptionsInput = InputOptions<typeof EVALUATE_OPTIONS>;

/** Runs `trainer.evaluate(split)` every N steps, at epoch ends and at the end of the run. */
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

  constructor(input: EvaluateOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, EVALUATE_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
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
    if (!evaluationDue(trigger, step, this.lastEvalStep, this.options)) return;
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
