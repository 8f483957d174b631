import {
  offerStageResult,
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type OptionSchema,
  type PluginMeta,
  type PluginState,
  type ResolvedOptions,
  type RunContext,
  type TrainerApi,
} from '../../../core/index.ts';
import { runFilePath, writeRunFile } from '../shared/runFile.ts';
import { sampleText } from '../../generation/index.ts';

export const SAMPLE_TEXT_OPTIONS = {
  prompt: { type: 'string', default: 'The ', minLength: 1, doc: 'Text the sample starts from (kept at its head).' },
  maxTokens: { type: 'integer', default: 200, min: 0, doc: 'Tokens to sample.' },
  temperature: { type: 'number', default: 0.8, min: 0, doc: 'Sampling temperature (0: greedy).' },
  topK: { type: 'integer', default: 20, min: 0, doc: 'Sample from the k most likely tokens (0: all).' },
  file: { type: 'string', default: 'sample.txt', doc: "File the sample is written to, relative to the run folder (resource runDir); '' writes none." },
} as const satisfies OptionSchema;

export type SampleTextOptionsInput = InputOptions<typeof SAMPLE_TEXT_OPTIONS>;

/**
 * At the end of a successful run, samples text from the model (the run's seed, so a run and its
 * resumed twin write the same text), writes it to `file` in the run folder and offers
 * `{ sample }` to the stage result (`CoreResources.stageResult`, merged into `result.json`).
 */
export class SampleTextCallback implements GraftPlugin {
  static readonly meta = {
    name: 'callback:sample-text',
    kind: 'callback',
    description: 'Samples text from the model at the end of a run: a file in the run folder and the stage result',
    dependsOn: ['tokenizer:*', 'model:*'],
  } as const satisfies PluginMeta;
  static readonly options = SAMPLE_TEXT_OPTIONS;
  readonly meta = SampleTextCallback.meta;
  readonly options: Readonly<ResolvedOptions<typeof SAMPLE_TEXT_OPTIONS>>;
  private text: string | undefined;
  private trainer: TrainerApi | undefined;

  constructor(input: SampleTextOptionsInput = {}) {
    this.options = resolveOptions(this.meta.name, SAMPLE_TEXT_OPTIONS, input);
  }

  /** The sample of the last run that ended well, if any. */
  get sample(): string | undefined {
    return this.text;
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    trainer.tap('beforeRun', this, () => void this.fileOf(trainer));
    // Stage `observe`: after the final evaluation and early stopping's restore of the best weights,
    // before `checkpoint:periodic`'s end-of-run save (`last`), which so keeps the sample as state.
    trainer.tap('afterRun', this, (ctx) => this.sampleAtEnd(ctx), { stage: 'observe' });
  }

  private async sampleAtEnd(ctx: RunContext): Promise<void> {
    // A failed or interrupted run (stopReason 'error') gets no sample: its model may be broken, and
    // an interrupted stage is resumed, ending with the sample of the run it continues.
    if (ctx.state.stopReason === 'error') return;
    const trainer = ctx.trainer;
    const o = this.options;
    this.text = await sampleText(trainer, o.prompt, { maxNewTokens: o.maxTokens, temperature: o.temperature, topK: o.topK, seed: trainer.options.seed });
    offerStageResult(trainer.resources, { sample: this.text });
    const file = this.fileOf(trainer);
    if (file === undefined) return;
    const content = this.text + '\n';
    await writeRunFile(file, content, 'write the text sample');
  }

  private fileOf(trainer: TrainerApi): string | undefined {
    return runFilePath(trainer, this.options.file, this.meta.name);
  }

  getState(): PluginState {
    return { json: { sample: this.text ?? null } };
  }

  setState(state: PluginState): void {
    const s = (state.json as { sample?: unknown } | undefined)?.sample;
    this.text = typeof s === 'string' ? s : undefined;
    // Resumed from the save at the end of a finished run: the stage result is what that run sampled.
    if (this.text !== undefined && this.trainer) offerStageResult(this.trainer.resources, { sample: this.text });
  }
}
