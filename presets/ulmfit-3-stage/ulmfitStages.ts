import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GraftPlugin, ParamGroupSpec, ResolvedOptions, Trainer } from '../../core/index.ts';
import { EvaluateCallback, GradClipCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { LabelledTextDataset, TextCorpusDataset, unlabelledTextsOf } from '../../plugins/datasets/index.ts';
import { GradualUnfreezing } from '../../plugins/freezing/index.ts';
import { ClassifierHead, LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { DiscriminativeLrGroups, discriminativeGroups } from '../../plugins/lr-groups/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from '../../plugins/metrics/index.ts';
import { AWD_LSTM_EMBEDDING, AwdLstmModel } from '../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { OneCycleScheduler, SlantedTriangularScheduler } from '../../plugins/schedulers/index.ts';
import { WordTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import type { StageContext, StageSpec } from '../runner/Preset.ts';
import { classifierRunLength, dropLast } from './classifierRunLength.ts';
import { ULMFIT_CONFIG } from './config.ts';

export type UlmfitConfig = ResolvedOptions<typeof ULMFIT_CONFIG>;

function awdLstm(c: UlmfitConfig, overrides: Record<string, number> = {}): AwdLstmModel {
  return new AwdLstmModel({ embSize: c['model.embSize'], hiddenSize: c['model.hiddenSize'], nLayers: c['model.nLayers'], ...overrides });
}

function wordTokenizer(c: UlmfitConfig, from?: string): GraftPlugin {
  return new WordTokenizerPlugin(from ? { from } : { maxVocab: c['vocab.maxSize'], minFreq: c['vocab.minFreq'] });
}

/**
 * Validation perplexity three times a run (metrics.jsonl shows it falling) and at the end; a
 * checkpoint every tenth of the run, so a killed run resumes having lost at most that much.
 */
function lmCallbacks(steps: number): GraftPlugin[] {
  return [
    new GradClipCallback({ maxNorm: 0.5 }),
    new EvaluateCallback({ every: Math.max(1, Math.round(steps / 3)), atEpochEnd: false, atEnd: true }),
    new PeriodicCheckpoint({ every: Math.max(1, Math.round(steps / 10)), keep: 1, best: false }),
  ];
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
      ...lmCallbacks(c['lm.steps']),
    ],
    options: () => ({ epochs: 100, maxSteps: c['lm.steps'] }),
  };
}

/**
 * Discriminative rates for language-model fine-tuning, grouped as fastai's `awd_lstm_lm_split`:
 * the LSTM layers bottom to top, then the embedding with the decoder tied to it at the top rate.
 * The target domain's new words start at the mean embedding and must move fast; at the bottom
 * group's rate (1/2.6³ of the top, the classifier's order) they would hardly leave the mean.
 */
export function lmFineTuneGroups(c: UlmfitConfig): ParamGroupSpec[] {
  const layers = Array.from({ length: c['model.nLayers'] }, (_, i) => `backbone.rnn.${i}.*`);
  return discriminativeGroups([...layers, AWD_LSTM_EMBEDDING], 2.6);
}

/**
 * Stage 2: the language model fine-tuned on the target domain's text (the classifier's training
 * split only), with a vocabulary of that domain: words carried over keep their embedding, new ones
 * start at the mean embedding. Discriminative rates (`lmFineTuneGroups`) and the slanted triangular
 * schedule, as ULMFiT.
 */
export function targetLmStage(c: UlmfitConfig): StageSpec {
  return {
    name: 'target-lm',
    description: `language model fine-tuned on the training texts of ${c['task.source']}`,
    plugins: (ctx: StageContext) => [
      new TextCorpusDataset(
        { maxChars: c['target.maxChars'], seqLen: c['lm.seqLen'], batchSize: c['lm.batchSize'], validationFraction: 0.05, maxValidationBatches: 20 },
        { texts: () => unlabelledTextsOf(taskData(c)) },
      ),
      wordTokenizer(c),
      awdLstm(c),
      new LmHead({ tied: true }),
      new NextTokenObjective(),
      new FromCheckpointInit({ path: ctx.checkpoints['general-lm']!, select: 'backbone.**' }),
      new AdamwOptimizer({ lr: c['target.lr'], beta1: 0.8, beta2: 0.99, weightDecay: 0.01, groups: lmFineTuneGroups(c) }),
      new SlantedTriangularScheduler({ cutFrac: 0.1, ratio: 32 }),
      ...lmCallbacks(c['target.steps']),
    ],
    options: () => ({ epochs: 100, maxSteps: c['target.steps'] }),
  };
}

export interface ClassifierVariant {
  /** Start from this stage's encoder, or from scratch. */
  encoderFrom?: string;
  trainSize?: number;
  subsampleSeed?: number;
  /**
   * Where an earlier stage's checkpoint is (the vocabulary's `target-lm`, the encoder's stage).
   * Default: `ctx.checkpoints[stage]`, a stage of the same run; an experiment whose language model
   * was trained in another sub-folder points here.
   */
  checkpointOf?: (stage: string, ctx: StageContext) => string;
}

/** Size of the labelled training split before subsampling, by data options (loading takes seconds). */
const fullTrainSizes = new Map<string, number>();

function trainExamples(c: UlmfitConfig, trainSize: number): number {
  const key = JSON.stringify(taskData(c));
  let n = fullTrainSizes.get(key);
  if (n === undefined) {
    n = unlabelledTextsOf(taskData(c)).length;
    fullTrainSizes.set(key, n);
  }
  return trainSize > 0 ? Math.min(trainSize, n) : n;
}

function scaled(p: number, mult: number): number {
  return Math.min(0.95, p * mult);
}

/**
 * Stage 3: the classifier. From a pre-trained encoder: gradual unfreezing from the top, a
 * discriminative rate per layer group, the slanted triangular schedule. From scratch (the
 * baseline): every parameter trains from the first step at the top rate (discriminative rates and
 * gradual unfreezing protect pre-trained layers; a random encoder has nothing to protect, and its
 * embedding would barely move at the bottom group's rate), with the same schedule otherwise.
 * The vocabulary is stage 2's in both cases, so the two differ only in the encoder's weights and
 * in how they are fine-tuned. The number of epochs is `task.epochs`, raised for small sets to
 * reach `task.minSteps` and capped at `task.maxSteps` steps (`classifierRunLength`).
 */
export function classifierStage(c: UlmfitConfig, name = 'classifier', variant: ClassifierVariant = { encoderFrom: 'target-lm' }): StageSpec {
  const pretrained = variant.encoderFrom !== undefined;
  const trainSize = variant.trainSize ?? c['task.trainSize'];
  const checkpointOf = variant.checkpointOf ?? ((stage: string, ctx: StageContext) => ctx.checkpoints[stage]!);
  const drop = c['task.dropMult'];
  const runLength = () =>
    classifierRunLength({
      examples: trainExamples(c, trainSize),
      batchSize: c['task.batchSize'],
      dropLast: dropLast(trainExamples(c, trainSize), c['task.batchSize']),
      epochs: c['task.epochs'],
      minSteps: c['task.minSteps'],
      maxSteps: c['task.maxSteps'],
      layerGroups: c['model.nLayers'] + 2,
      unfreezeEvery: c['task.unfreezeEvery'],
    });
  return {
    name,
    description: pretrained ? `classifier fine-tuned from the ${variant.encoderFrom} encoder` : 'classifier trained from scratch',
    plugins: (ctx: StageContext) => {
      const vocabFrom = checkpointOf('target-lm', ctx);
      const examples = () => trainExamples(c, trainSize);
      const { unfreezeEvery } = runLength();
      return [
        new LabelledTextDataset({
          ...taskData(c),
          trainSize,
          subsampleSeed: variant.subsampleSeed ?? 0,
          maxLen: c['task.maxLen'],
          batchSize: c['task.batchSize'],
          // A short last batch would give BatchNorm statistics of a few examples (see classifierRunLength).
          dropLast: dropLast(examples(), c['task.batchSize']),
        }),
        wordTokenizer(c, vocabFrom),
        // fastai raises dropout for classification; the LM defaults scaled by about 2.
        awdLstm(c, {
          embedDropout: scaled(0.05, drop),
          inputDropout: scaled(0.4, drop),
          hiddenDropout: scaled(0.3, drop),
          outputDropout: scaled(0.2, drop),
          weightDropout: scaled(0.3, drop),
        }),
        new ClassifierHead({ hidden: [50], dropouts: [scaled(0.2, drop), scaled(0.1, drop)] }),
        new ClassificationObjective(),
        new AdamwOptimizer({ lr: c['task.lr'], beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }),
        new SlantedTriangularScheduler({ cutFrac: 0.1, ratio: 32 }),
        ...(pretrained
          ? [
              new FromCheckpointInit({ path: checkpointOf(variant.encoderFrom!, ctx), select: 'backbone.**', remapVocab: false }),
              new DiscriminativeLrGroups({ factor: c['task.lrFactor'] }),
              ...(unfreezeEvery > 0 ? [new GradualUnfreezing({ unfreezeEvery })] : []),
            ]
          : []),
        new GradClipCallback({ maxNorm: 1 }),
        new AccuracyMetric(),
        new F1Metric(),
        new ConfusionMatrixMetric(),
        ...(c['task.validate'] ? [new EvaluateCallback({ atEpochEnd: true, atEnd: false })] : []),
      ];
    },
    options: () => {
      const { epochs, maxSteps } = runLength();
      return { epochs, maxSteps };
    },
    async after(trainer: Trainer, ctx: StageContext) {
      const test = await trainer.evaluate('test');
      const cm = trainer.plugin<ConfusionMatrixMetric>('metric:confusion-matrix')?.matrix;
      const loaded = trainer.plugin<FromCheckpointInit>(FromCheckpointInit.meta.name)?.report?.loaded ?? [];
      const examples = trainer.plugin<LabelledTextDataset>('dataset:labelled-text')?.examples('train').length;
      writeFileSync(path.join(ctx.stageDir, 'test-metrics.json'), JSON.stringify({ ...test, confusion: cm }, null, 2) + '\n');
      return { test_accuracy: test.test_accuracy, test_f1: test.test_f1, confusion: cm, train_examples: examples, encoder_parameters_loaded: loaded };
    },
  };
}
