import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  Rng,
  resolveOptions,
  type Batch,
  type EvalBatchContext,
  type EvalContext,
  type ForwardContext,
  type Metrics,
  type InputOptions,
  type ObjectivePlugin,
  type Outputs,
  type PluginState,
  type ResolvedOptions,
  type SpecialToken,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { tokenCrossEntropy } from '../next-token/tokenCrossEntropy.ts';
import { maskTokens, type MaskingConfig } from './maskTokens.ts';
import { DeviceSum } from '../../metrics/shared/DeviceSum.ts';
import { maskedPerplexity, maskedTotals } from './maskedTotals.ts';

export const MASKED_LM_OPTIONS = {
  maskProb: { type: 'number', default: 0.15, min: 0, max: 1, doc: 'Fraction of maskable tokens selected for prediction.' },
  maskTokenFraction: { type: 'number', default: 0.8, min: 0, max: 1, doc: 'Of the selected tokens, the fraction replaced by the mask token.' },
  randomTokenFraction: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'Of the selected tokens, the fraction replaced by a random token (the rest stay unchanged).' },
} as const satisfies OptionSchema;

export type MaskedLmOptions = InputOptions<typeof MASKED_LM_OPTIONS>;

/** Specials that are structure, not text: never selected, never drawn as random replacements. */
const NOT_MASKABLE: readonly SpecialToken[] = ['pad', 'bos', 'eos', 'sep', 'mask'];

/**
 * `objective:masked-lm` (BERT): `transformBatch` masks the inputs (stage `transform`), writing
 * `inputs` (masked), `targets` (original ids) and `mask` (1 at the selected positions); the
 * loss is the cross-entropy at the selected positions only. Evaluations add `<split>_perplexity`,
 * exp of the mean cross-entropy over every masked token of the split.
 */
export class MaskedLmObjective implements ObjectivePlugin {
  static readonly meta = { name: 'objective:masked-lm', kind: 'objective', description: 'Masked language modelling (BERT): 15% of tokens masked, predicted' } as const satisfies PluginMeta;
  static readonly options = MASKED_LM_OPTIONS;
  readonly meta = MaskedLmObjective.meta;
  readonly options: ResolvedOptions<typeof MASKED_LM_OPTIONS>;
  private rng = new Rng(0);
  private evalSeed = 0;
  private evalRng = new Rng(0);
  private cfg: MaskingConfig | undefined;
  /** `mask` tensors this plugin made: a batch carrying one was masked by us. */
  private readonly ours = new WeakSet<tf.Tensor>();
  /** During an evaluation: [Σ nll, masked tokens] so far, on the device (freed when it ends or fails). */
  private readonly evalTotals = new DeviceSum();

  constructor(options: MaskedLmOptions = {}) {
    this.options = resolveOptions(this.meta.name, MASKED_LM_OPTIONS, options);
    const { maskTokenFraction: m, randomTokenFraction: r } = this.options;
    if (m + r > 1 + 1e-12) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'maskTokenFraction + randomTokenFraction exceeds 1', {
        plugin: this.meta.name,
        option: 'randomTokenFraction',
        expected: `at most ${1 - m} (1 - maskTokenFraction)`,
        received: r,
      });
    }
  }

  apply(trainer: TrainerApi): void {
    this.rng = trainer.rng.fork(this.meta.name);
    this.evalSeed = trainer.rng.fork(`${this.meta.name}/eval`).getState();
    trainer.tap('setup', this, () => this.configure(trainer), { stage: 'build' });
    trainer.tap('transformBatch', this, (batch: Batch) => this.maskBatch(batch, this.rng), { stage: 'transform' });
    // Every evaluation masks the same way, so validation losses are comparable across the run.
    trainer.tap('beforeEval', this, () => {
      this.evalRng = new Rng(this.evalSeed);
      this.resetTotals();
    });
    trainer.tap('transformEvalBatch', this, (batch: Batch) => this.maskBatch(batch, this.evalRng), { stage: 'transform' });
    trainer.tap('evalBatch', this, (ctx: EvalBatchContext) => this.addTotals(ctx), { stage: 'observe' });
    trainer.tap('afterEval', this, async (metrics: Metrics, ctx: EvalContext) => this.withPerplexity(metrics, ctx.split), { stage: 'default' });
    trainer.tap('onError', this, (ctx) => {
      if (ctx.phase === 'evaluate') this.resetTotals();
    });
  }

  /** Add the batch's [Σ nll, n] over its masked positions (on the device, no read). */
  private addTotals(ctx: EvalBatchContext): void {
    const mask = ctx.batch.mask;
    if (!mask || !this.ours.has(mask)) return;
    this.evalTotals.add(maskedTotals(ctx.loss, mask));
  }

  /** Metrics plus `<split>_perplexity` over every masked token of the evaluation (read once). */
  private async withPerplexity(metrics: Metrics, split: string): Promise<Metrics> {
    const totals = await this.evalTotals.read();
    if (!totals) return metrics;
    const [nll, n] = totals;
    const ppl = maskedPerplexity(nll!, n!);
    return ppl === undefined ? metrics : { ...metrics, [`${split}_perplexity`]: ppl };
  }

  private resetTotals(): void {
    this.evalTotals.reset();
  }

  dispose(): void {
    this.resetTotals();
  }

  private configure(trainer: TrainerApi): void {
    const tp = trainer.maybeRole('tokenizer');
    if (!tp) {
      throw new GraftError(ErrorCodes.CONFIG, 'needs a tokenizer with a "mask" special token, and the recipe has none', {
        plugin: this.meta.name,
        hint: 'Add a tokenizer plugin whose vocabulary has a mask token',
      });
    }
    const tok = tp.tokenizer;
    const maskId = tok.specials.mask;
    if (maskId === undefined) {
      throw new GraftError(ErrorCodes.CONFIG, `tokenizer "${tp.meta.name}" (${tok.type}) has no "mask" special token`, {
        plugin: this.meta.name,
        expected: 'a tokenizer with specials.mask',
        hint: `Configure ${tp.meta.name} to add a mask token`,
      });
    }
    const specialIds = new Set<number>();
    for (const s of NOT_MASKABLE) if (tok.specials[s] !== undefined) specialIds.add(tok.specials[s]!);
    this.cfg = { ...this.options, maskId, vocabSize: tok.vocabSize, specialIds };
    if (trainer.maybeRole('model')?.causal === true) {
      trainer.logger.warn(`${this.meta.name}: the model is causal; masked-LM needs a bidirectional encoder (model:gpt option causal: false)`);
    }
  }

  /** The masking configuration (after setup). */
  get masking(): MaskingConfig | undefined {
    return this.cfg;
  }

  /** A new batch: `inputs` masked, `targets` the original ids, `mask` 1 at selected positions. */
  maskBatch(batch: Batch, rng: Rng): Batch {
    const cfg = this.cfg;
    if (!cfg) throw new GraftError(ErrorCodes.INTERNAL, 'maskBatch() called before setup', { plugin: this.meta.name });
    const ids = batch.inputs;
    if (!ids || ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new GraftError(ErrorCodes.DATA, 'expects batch.inputs as int32 [batch, time]', {
        plugin: this.meta.name,
        received: ids ? `${ids.dtype} [${ids.shape}]` : `keys ${Object.keys(batch).join(', ') || '(none)'}`,
      });
    }
    const [B, T] = ids.shape as [number, number];
    const lengths = batch.lengths ? batch.lengths.dataSync() : undefined;
    const { inputs, selected } = maskTokens(ids.dataSync(), T, cfg, rng, lengths);
    const mask = tf.tensor2d(selected, [B, T], 'float32');
    this.ours.add(mask);
    return { ...batch, inputs: tf.tensor2d(inputs, [B, T], 'int32'), targets: tf.clone(ids), mask };
  }

  loss(outputs: Outputs, batch: Batch, ctx: ForwardContext): tf.Scalar {
    if (batch.mask && this.ours.has(batch.mask)) {
      const logits = outputs.logits;
      if (!logits) throw new GraftError(ErrorCodes.DATA, 'no `logits` in the outputs', { plugin: this.meta.name, hint: 'Add a head (head:lm) that produces logits' });
      return tokenCrossEntropy(logits, batch.targets!, batch.mask);
    }
    throw new GraftError(ErrorCodes.DATA, 'the batch was not masked by this plugin', {
      plugin: this.meta.name,
      hint: 'Batches must pass through transformBatch / transformEvalBatch, where this plugin masks them',
    });
  }

  getState(): PluginState {
    return { json: { rng: this.rng.getState() } };
  }

  setState(state: PluginState): void {
    const s = state.json as { rng?: number } | undefined;
    if (s?.rng !== undefined) this.rng.setState(s.rng);
  }
}
