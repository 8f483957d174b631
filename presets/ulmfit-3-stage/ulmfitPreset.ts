import { EvaluateCallback, GradClipCallback, TestEvaluationCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { GradualUnfreezing } from '../../plugins/freezing/index.ts';
import { ClassifierHead, LmHead } from '../../plugins/heads/index.ts';
import { FromCheckpointInit } from '../../plugins/init/index.ts';
import { DiscriminativeLrGroups } from '../../plugins/lr-groups/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from '../../plugins/metrics/index.ts';
import { AWD_LSTM_EMBEDDING, AwdLstmModel } from '../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { OneCycleScheduler, SlantedTriangularScheduler } from '../../plugins/schedulers/index.ts';
import { WordTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { alias, checkpointOf, emptySlot, optionsOf, recipe, stage, use, type Use } from '../recipe/index.ts';

// ULMFiT (Howard & Ruder 2018) at a size that trains in minutes on 2 CPU cores: a small AWD-LSTM
// (embeddings 64, hidden 128, 3 layers) over a word vocabulary, ham-versus-spam mail as the task.
const MODEL = { embSize: 64, hiddenSize: 128, nLayers: 3 };
const VOCAB = { maxVocab: 8000, minFreq: 3 };
const TASK = 'npm:spam-assassin';

/**
 * Clipping; validation perplexity three times a run (metrics.jsonl shows it falling) and at the
 * end; a checkpoint every tenth of the run, so a killed run resumes having lost at most that much.
 */
const lmCallbacks: Use[] = [
  use(GradClipCallback, { maxNorm: 0.5 }),
  use(EvaluateCallback, { perRun: 3, atEpochEnd: false, atEnd: true }),
  use(PeriodicCheckpoint, { perRun: 10, keep: 1, best: false }),
];

/** Stage 1: a language model on general-domain text. */
export const generalLmStage = stage('general-lm', 'AWD-LSTM language model on general-domain text', [
  // heldOutOf: the task's validation and test texts must not be in the general corpus (checked before training).
  use(TextCorpusDataset, { sources: ['npm:moby-dick', 'npm:sotu'], maxChars: 3_000_000, seqLen: 64, batchSize: 32, validationFraction: 0.02, maxValidationBatches: 20, heldOutOf: optionsOf('classifier', 'dataset') }),
  use(WordTokenizerPlugin, VOCAB),
  use(AwdLstmModel, MODEL),
  use(LmHead, { tied: true }),
  use(NextTokenObjective),
  use(AdamwOptimizer, { lr: 1e-2, beta1: 0.9, beta2: 0.99, weightDecay: 0.01 }),
  use(OneCycleScheduler, { pctStart: 0.25 }),
  // Empty by default: `--use general-lm.init=init:pretrained-embeddings --set general-lm.init.source=vectors.txt`
  // starts the language model from static word vectors (their dim must equal model.embSize).
  emptySlot('init'),
  ...lmCallbacks,
], { epochs: 100, maxSteps: 200 });

/**
 * Stage 2: the language model fine-tuned on the target domain's text (the classifier's training
 * split only: its dataset's options, so a separate test file or another split seed applies here too), with a vocabulary of that domain: words carried over keep their embedding, new ones
 * start at the mean embedding. Discriminative rates grouped as fastai's `awd_lstm_lm_split`: the
 * LSTM layers bottom to top, then the embedding (the decoder is tied to it) at the top rate, since
 * the domain's new words must move fast; the slanted triangular schedule, as ULMFiT.
 */
export const targetLmStage = stage('target-lm', 'language model fine-tuned on the training texts of the task', [
  use(TextCorpusDataset, { trainTextsOf: optionsOf('classifier', 'dataset'), seqLen: 64, batchSize: 32, validationFraction: 0.05, maxValidationBatches: 20 }),
  use(WordTokenizerPlugin, VOCAB),
  use(AwdLstmModel, MODEL),
  use(LmHead, { tied: true }),
  use(NextTokenObjective),
  use(FromCheckpointInit, { path: checkpointOf('general-lm'), select: 'backbone.**' }),
  use(AdamwOptimizer, { lr: 1e-2, beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }),
  use(DiscriminativeLrGroups, { factor: 2.6, topGroups: [AWD_LSTM_EMBEDDING] }),
  use(SlantedTriangularScheduler, { cutFrac: 0.1, ratio: 32 }),
  ...lmCallbacks,
], { epochs: 100, maxSteps: 1000 });

/**
 * Stage 3: the classifier on stage 2's vocabulary and encoder: gradual unfreezing from the top, a
 * discriminative rate per layer group, the slanted triangular schedule. Epochs are raised for small
 * labelled sets to reach `minSteps` and capped at `maxSteps` steps (trainer options); when the cap
 * leaves too few epochs to unfreeze the bottom group, every group trains from the start (still at
 * its rate) rather than the lower layers never training. The last partial batch is dropped when
 * there is a full one: the head's BatchNorm statistics from a batch of a few examples skew them
 * (measured: the same weights scored 0.76 accuracy on their training set in evaluation mode, 0.96
 * in training mode). Dropouts are fastai's classifier ones (the LM's about doubled) times
 * `dropMult`. At the end the test split is evaluated into the stage's result.
 */
export const classifierStage = stage('classifier', 'classifier fine-tuned from the target-lm encoder', [
  use(LabelledTextDataset, { source: TASK, trainSize: 0, maxLen: 64, batchSize: 32, dropLast: true }),
  use(WordTokenizerPlugin, { from: checkpointOf('target-lm') }),
  use(AwdLstmModel, { ...MODEL, embedDropout: 0.05, inputDropout: 0.4, hiddenDropout: 0.3, outputDropout: 0.2, weightDropout: 0.3, dropMult: 0.3 }),
  use(ClassifierHead, { hidden: [50], dropouts: [0.2, 0.1], dropMult: 0.3 }),
  use(ClassificationObjective),
  use(AdamwOptimizer, { lr: 1e-2, beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }),
  use(SlantedTriangularScheduler, { cutFrac: 0.1, ratio: 32 }),
  use(FromCheckpointInit, { path: checkpointOf('target-lm'), select: 'backbone.**', remapVocab: false }),
  use(DiscriminativeLrGroups, { factor: 2.6 }),
  use(GradualUnfreezing, { unfreezeEvery: 1, whenShort: 'unfreeze-all' }),
  use(GradClipCallback, { maxNorm: 1 }),
  use(AccuracyMetric),
  use(F1Metric),
  use(ConfusionMatrixMetric),
  use(EvaluateCallback, { atEpochEnd: true, atEnd: false }),
  use(TestEvaluationCallback),
], { epochs: 5, minSteps: 80, maxSteps: 600 });

const ALL = ['general-lm', 'target-lm', 'classifier'];
const LMS = ['general-lm', 'target-lm'];

/** The keys people change most, by their old names; every option is also a key of its own (`graft describe`). */
export const ULMFIT_ALIASES = {
  'lm.sources': 'general-lm.dataset.sources',
  'lm.maxChars': 'general-lm.dataset.maxChars',
  'lm.steps': 'general-lm.trainer.maxSteps',
  'lm.lr': 'general-lm.optimizer.lr',
  'lm.seqLen': alias(LMS.map((s) => `${s}.dataset.seqLen`), 'Stages 1-2: BPTT length (tokens per window).'),
  'lm.batchSize': alias(LMS.map((s) => `${s}.dataset.batchSize`), 'Stages 1-2: windows per batch.'),
  'target.steps': 'target-lm.trainer.maxSteps',
  'target.lr': alias('target-lm.optimizer.lr', 'Stage 2: top learning rate (discriminative rates below).'),
  'target.maxChars': 'target-lm.dataset.maxChars',
  'vocab.maxSize': alias(LMS.map((s) => `${s}.tokenizer.maxVocab`), 'Word vocabulary cap, specials included.'),
  'vocab.minFreq': alias(LMS.map((s) => `${s}.tokenizer.minFreq`), 'Words seen fewer times become xxunk.'),
  'model.embSize': alias(ALL.map((s) => `${s}.model.embSize`), 'AWD-LSTM embedding size (and last layer width), every stage.'),
  'model.hiddenSize': alias(ALL.map((s) => `${s}.model.hiddenSize`), 'AWD-LSTM hidden size, every stage.'),
  'model.nLayers': alias(ALL.map((s) => `${s}.model.nLayers`), 'AWD-LSTM layers, every stage.'),
  'task.source': alias('classifier.dataset.source', 'Labelled data (npm:spam-assassin or a CSV/JSONL file): stage 3 trains and tests on it, stage 2 reads its training split (every classifier.dataset.* key applies to both: test, splitSeed, fields).'),
  'task.trainSize': 'classifier.dataset.trainSize',
  'task.maxLen': 'classifier.dataset.maxLen',
  'task.batchSize': 'classifier.dataset.batchSize',
  'task.epochs': 'classifier.trainer.epochs',
  'task.minSteps': 'classifier.trainer.minSteps',
  'task.maxSteps': 'classifier.trainer.maxSteps',
  'task.lr': 'classifier.optimizer.lr',
  'task.lrFactor': 'classifier.lr-groups.factor',
  'task.unfreezeEvery': 'classifier.freezing.unfreezeEvery',
  'task.dropMult': alias(['classifier.model.dropMult', 'classifier.head.dropMult'], 'Stage 3: multiplies every classifier dropout (encoder and head), as fastai drop_mult.'),
  'task.validate': alias('classifier.evaluate.atEpochEnd', 'Stage 3: evaluate on the validation split after every epoch.'),
};

export const ulmfitPreset = recipe({
  name: 'ulmfit-3-stage',
  description: 'ULMFiT: general LM pre-training, target-domain LM fine-tuning, classifier fine-tuning (SpamAssassin).',
  stages: [generalLmStage, targetLmStage, classifierStage],
  aliases: ULMFIT_ALIASES,
});
