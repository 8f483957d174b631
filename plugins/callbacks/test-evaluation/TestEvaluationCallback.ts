import {
  CoreResources,
  offerStageResult,
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type Metrics,
  type OptionSchema,
  type PluginMeta,
  type PluginState,
  type ResolvedOptions,
  type RunContext,
  type Split,
  type TrainerApi,
} from '../../../core/index.ts';
import { runFilePath, writeRunFile } from '../shared/runFile.ts';

export const TEST_EVALUATION_OPTIONS = {
  split: { type: 'enum', values: ['train', 'validation', 'test'], default: 'test', doc: 'The split evaluated at the end of the run.' },
  file: {
    type: 'string',
    default: 'test-metrics.json',
    doc: "JSON file the metrics and evaluation details are written to, relative to the run folder (resource runDir) unless absolute; '' writes none.",
  },
} as const satisfies OptionSchema;

export type TestEvaluationOptionsInput = InputOptions<typeof TEST_EVALUATION_OPTIONS>;

/** What the end-of-run evaluation found: the metrics `trainer.evaluate(split)` returned, and the split's evaluation details. */
export interface TestEvaluation {
  readonly metrics: Metrics;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * At the end of a run that ended well, evaluates `split` (default `test`) with the model as the
 * run leaves it (after early stopping's restore of the best weights), offers every metric of that
 * evaluation (`test_loss`, `test_accuracy`, `test_f1`...) and the split's evaluation details
 * (`CoreResources.evalDetails[split]`: `metric:confusion-matrix`'s `confusion`) to the stage result
 * (`CoreResources.stageResult`, merged into `result.json`), and writes them as one JSON object to
 * `file` in the run folder. The result is its state, so a stage resumed from the end-of-run
 * checkpoint offers the same values again without evaluating.
 */
export class TestEvaluationCallback implements GraftPlugin {
  static readonly meta = {
    name: 'callback:test-evaluation',
    kind: 'callback',
    description: 'Evaluates the test split at the end of a run: its metrics and details in the stage result and a JSON file in the run folder',
    dependsOn: ['dataset:*', 'model:*'],
  } as const satisfies PluginMeta;
  static readonly options = TEST_EVALUATION_OPTIONS;
  readonly meta = TestEvaluationCallback.meta;
  readonly options: Readonly<ResolvedOptions<typeof TEST_EVALUATION_OPTIONS>>;
  private result: TestEvaluation | undefined;
  private trainer: TrainerApi | undefined;

  constructor(input: TestEvaluationOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, TEST_EVALUATION_OPTIONS, input);
  }

  /** The metrics and details of the last end-of-run evaluation (this process's or the resumed run's), if any. */
  get evaluation(): TestEvaluation | undefined {
    return this.result;
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    trainer.tap('beforeRun', this, () => void this.fileOf(trainer));
    // Stage `observe`: after the final evaluation and early stopping's restore of the best weights,
    // before `checkpoint:periodic`'s end-of-run save (`last`), which so keeps the result as state.
    trainer.tap('afterRun', this, (ctx) => this.evaluateAtEnd(ctx), { stage: 'observe' });
  }

  private async evaluateAtEnd(ctx: RunContext): Promise<void> {
    // A failed or interrupted run (stopReason 'error') is not evaluated: its model may be broken,
    // and an interrupted stage is resumed, ending with the evaluation of the run it continues.
    if (ctx.state.stopReason === 'error') return;
    const trainer = ctx.trainer;
    const split = this.options.split as Split;
    // Forget the split's details of earlier evaluations: those offered now are this evaluation's.
    const { [split]: _earlier, ...others } = trainer.resources.get(CoreResources.evalDetails) ?? {};
    trainer.resources.set(CoreResources.evalDetails, others);
    const metrics = await trainer.evaluate(split);
    const details = trainer.resources.get(CoreResources.evalDetails)?.[split] ?? {};
    this.result = { metrics: { ...metrics }, details: { ...details } };
    this.offer(trainer);
    const file = this.fileOf(trainer);
    if (file === undefined) return;
    const content = JSON.stringify({ ...this.result.metrics, ...this.result.details }, null, 2) + '\n';
    await writeRunFile(file, content, `write the ${split} metrics`);
  }

  private offer(trainer: TrainerApi): void {
    if (this.result) offerStageResult(trainer.resources, { ...this.result.metrics, ...this.result.details });
  }

  private fileOf(trainer: TrainerApi): string | undefined {
    return runFilePath(trainer, this.options.file, this.meta.name);
  }

  getState(): PluginState {
    return { json: { evaluation: this.result ?? null } };
  }

  setState(state: PluginState): void {
    this.result = parseEvaluation((state.json as { evaluation?: unknown } | undefined)?.evaluation);
    // Resumed from the save at the end of a finished run: the stage result is what that run evaluated.
    if (this.trainer) this.offer(this.trainer);
  }
}

/** The saved evaluation, or undefined; a metric JSON wrote as null (NaN, ±Infinity) reads back as NaN. */
function parseEvaluation(v: unknown): TestEvaluation | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { metrics, details } = v as { metrics?: unknown; details?: unknown };
  if (typeof metrics !== 'object' || metrics === null || typeof details !== 'object' || details === null) return undefined;
  const m: Metrics = {};
  for (const [k, x] of Object.entries(metrics)) m[k] = typeof x === 'number' ? x : NaN;
  return { metrics: m, details: { ...(details as Record<string, unknown>) } };
}
