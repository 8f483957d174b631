import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GraftPlugin, ResolvedOptions, Trainer } from '../../core/index.ts';
import { EvaluateCallback, GradClipCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { LabelledTextDataset, TextCorpusDataset, unlabelledTextsOf } from '../../plugins/datasets/index.ts';
import { GradualUnfreezing } from '../../plugins/freezing/index.ts';
import { ClassifierHead, LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { DiscriminativeLrGroups } from '../../plugins/lr-groups/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from '../../plugins/metrics/index.ts';
import { AwdLstmModel } from '../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { OneCycleScheduler, SlantedTriangularScheduler } from '../../plugins/schedulers/index.ts';
import { WordTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import type { StageContext, StageSpec } from '../runner/Preset.ts';
import { ULMFIT_CONFIG } from './config.ts';

export type UlmfitConfig = ResolvedOptions<typeof ULMFIT_CONFIG>;

function awdLstm(c: UlmfitConfig, overrides: Record<string, number> = {}): AwdLstmModel {
  return new AwdLstmModel({ embSize: c['model.embSize'], hiddenSize: c['model.hiddenSize'], nLayers: c['model.nLayers'], ...overrides });
}

function wordTokenizer(c: UlmfitConfig, from?: string): GraftPlugin {
  return new WordTokenizerPlugin(from ? { from } : { maxVocab: c['vocab.maxSize'], minFreq: c['vocab.minFreq'] });
}

function lmCallbacks(): GraftPlugin[] {
  return [new GradClipCallback({ maxNorm: 0.5 }), new EvaluateCallback({ every: 0, atEpochEnd: false, atEnd: true }), new PeriodicCheckpoint({ every: 0, keep: 1, best: false })];
}

/** The labelled data set of stage 3, shared by the target-domain texts of stage 2. */
function taskData(c: UlmfitConfig) {
  return { source: c['task.source'] };
}

/** Stage 1: a language model on general-domain text. */
export function generalLmStage(c: UlmfitConfig): StageSpec {
  return {
    name: 'general-lm',
    description: `AWD-LSTM language model on ${c['lm.sources'].join(', ')}`,
    plugins: () => [
      new TextCorpusDataset({
        sources: c['lm.sources'],
        maxChars: c['lm.maxChars'],
        seqLen: c['lm.seqLen'],
        batchSize: c['lm.batchSize'],
        validationFraction: 0.02,
        maxValidationBatches: 20,
      }),
      wordTokenizer(c),
      awdLstm(c),
      new LmHead({ tied: true }),
      new NextTokenObjective(),
      new AdamwOptimizer({ lr: c['lm.lr'], beta1: 0.9, beta2: 0.99, weightDecay: 0.01 }),
      new OneCycleScheduler({ pctStart: 0.25 }),
      ...lmCallbacks(),
    ],
    options: () => ({ epochs: 100, maxSteps: c['lm.steps'] }),
  };
}

/**
 * Stage 2: the language model fine-tuned on the target domain's text (the classifier's training
 * split only), with a vocabulary of that domain: words carried over keep their embedding, new ones
 * start at the mean embedding. Discriminative rates and the slanted triangular schedule, as ULMFiT.
 */
export function targetLmStage(c: UlmfitConfig): StageSpec {
  return {
    name: 'target-lm',
    description: `language model fine-tuned on the training texts of ${c['task.source']}`,
    plugins: (ctx: StageContext) => [
      new TextCorpusDataset(
        { seqLen: c['lm.seqLen'], batchSize: c['lm.batchSize'], validationFraction: 0.05, maxValidationBatches: 20 },
        { texts: () => unlabelledTextsOf(taskData(c)) },
      ),
      wordTokenizer(c),
      awdLstm(c),
      new LmHead({ tied: true }),
      new NextTokenObjective(),
      new FromCheckpointInit({ path: ctx.checkpoints['general-lm']!, select: 'backbone.**' }),
      new AdamwOptimizer({ lr: c['target.lr'], beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }),
      new DiscriminativeLrGroups({ factor: 2.6 }),
      new SlantedTriangularScheduler({ cutFrac: 0.1, ratio: 32 }),
      ...lmCallbacks(),
    ],
    options: () => ({ epochs: 100, maxSteps: c['target.steps'] }),
  };
}

export interface ClassifierVariant {
  /** Start from this stage's encoder, or from scratch. */
  encoderFrom?: string;
  trainSize?: number;
  subsampleSeed?: number;
}

/**
 * Stage 3: the classifier. From a pre-trained encoder: gradual unfreezing from the top, a
 * discriminative rate per layer group, the slanted triangular schedule. From scratch (the
 * baseline): every parameter trains from the first step, same schedule and rates otherwise.
 * The vocabulary is stage 2's in both cases, so the two differ only in the encoder's weights.
 */
export function classifierStage(c: UlmfitConfig, name = 'classifier', variant: ClassifierVariant = { encoderFrom: 'target-lm' }): StageSpec {
  const pretrained = variant.encoderFrom !== undefined;
  return {
    name,
    description: pretrained ? `classifier fine-tuned from the ${variant.encoderFrom} encoder` : 'classifier trained from scratch',
    plugins: (ctx: StageContext) => {
      const vocabFrom = ctx.checkpoints['target-lm'];
      return [
        new LabelledTextDataset({
          ...taskData(c),
          trainSize: variant.trainSize ?? c['task.trainSize'],
          subsampleSeed: variant.subsampleSeed ?? 0,
          maxLen: c['task.maxLen'],
          batchSize: c['task.batchSize'],
          sortish: true,
        }),
        wordTokenizer(c, vocabFrom),
        // fastai raises dropout for classification; the LM defaults scaled by about 2.
        awdLstm(c, { embedDropout: 0.05, inputDropout: 0.4, hiddenDropout: 0.3, outputDropout: 0.2, weightDropout: 0.3 }),
        new ClassifierHead({ hidden: [50], dropouts: [0.2, 0.1] }),
        new ClassificationObjective(),
        new AdamwOptimizer({ lr: c['task.lr'], beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }),
        new DiscriminativeLrGroups({ factor: 2.6 }),
        new SlantedTriangularScheduler({ cutFrac: 0.1, ratio: 32 }),
        ...(pretrained
          ? [new FromCheckpointInit({ path: ctx.checkpoints[variant.encoderFrom!]!, select: 'backbone.**', remapVocab: false }), new GradualUnfreezing()]
          : []),
        new GradClipCallback({ maxNorm: 1 }),
        new AccuracyMetric(),
        new F1Metric(),
        new ConfusionMatrixMetric(),
        new EvaluateCallback({ atEpochEnd: true, atEnd: false }),
      ];
    },
    options: () => ({ epochs: c['task.epochs'] }),
    async after(trainer: Trainer, ctx: StageContext) {
      const test = await trainer.evaluate('test');
      const cm = trainer.plugin<ConfusionMatrixMetric>('metric:confusion-matrix')?.matrix;
      writeFileSync(path.join(ctx.stageDir, 'test-metrics.json'), JSON.stringify({ ...test, confusion: cm }, null, 2) + '\n');
      return { test_accuracy: test.test_accuracy, test_f1: test.test_f1, confusion: cm };
    },
  };
}
