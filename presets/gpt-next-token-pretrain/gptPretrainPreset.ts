import { EvaluateCallback, GradClipCallback, SampleTextCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { LmHead } from '../../plugins/heads/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { WarmupCosineScheduler } from '../../plugins/schedulers/index.ts';
import { ByteBpeTokenizerPlugin, CharTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { choice, recipe, stage, use } from '../recipe/index.ts';

/**
 * GPT next-token pre-training, exported (`graftml/presets`) for recipes of your own that start
 * from a GPT. Its defaults train a 4-layer, 128-wide character-level GPT on Moby Dick in a few
 * minutes on two CPU cores (wasm backend); raise `train.maxSteps` for better text.
 */
export const gptPretrainStage = stage('pretrain', 'GPT next-token pre-training', [
  use(TextCorpusDataset, { sources: ['npm:moby-dick'], validationFraction: 0.05, maxValidationBatches: 16, seqLen: 64, batchSize: 16 }),
  use(CharTokenizerPlugin),
  use(GptModel, { contextLength: 64, nLayers: 4, nHeads: 4, dModel: 128, dropout: 0 }),
  use(LmHead, { tied: true }),
  use(NextTokenObjective),
  use(AdamwOptimizer, { lr: 3e-3, beta1: 0.9, beta2: 0.95, weightDecay: 0.1 }),
  use(WarmupCosineScheduler, { warmupSteps: 30, minLrRatio: 0.1 }),
  use(GradClipCallback, { maxNorm: 1 }),
  use(EvaluateCallback, { every: 100, atEpochEnd: false, atEnd: true }),
  use(PeriodicCheckpoint, { every: 100, keep: 1 }),
  use(SampleTextCallback, { prompt: 'Call me Ishmael. ', maxTokens: 200, temperature: 0.8, topK: 20 }),
], { epochs: 1000, maxSteps: 250 });

/**
 * The short keys of a one-stage transformer pre-training recipe (stage `pretrain`: a text-corpus
 * dataset, `model:gpt`, an optimizer with a warm-up schedule, clipping, evaluation, checkpoints),
 * shared by `gpt-next-token-pretrain` and `bert-mlm-pretrain`.
 */
export const PRETRAIN_ALIASES = {
  'data.sources': 'pretrain.dataset.sources',
  'data.maxChars': 'pretrain.dataset.maxChars',
  'data.validationFraction': 'pretrain.dataset.validationFraction',
  'data.maxValidationBatches': 'pretrain.dataset.maxValidationBatches',
  'model.contextLength': ['pretrain.model.contextLength', 'pretrain.dataset.seqLen'],
  'model.nLayers': 'pretrain.model.nLayers',
  'model.nHeads': 'pretrain.model.nHeads',
  'model.dModel': 'pretrain.model.dModel',
  'model.dropout': 'pretrain.model.dropout',
  'train.batchSize': 'pretrain.dataset.batchSize',
  'train.maxSteps': 'pretrain.trainer.maxSteps',
  'train.lr': 'pretrain.optimizer.lr',
  'train.weightDecay': 'pretrain.optimizer.weightDecay',
  'train.warmupSteps': 'pretrain.scheduler.warmupSteps',
  'train.clip': 'pretrain.grad-clip.maxNorm',
  'train.evalEvery': 'pretrain.evaluate.every',
  'train.checkpointEvery': 'pretrain.checkpoint.every',
} as const;

export const gptPretrainPreset = recipe({
  name: 'gpt-next-token-pretrain',
  description: 'Pre-train a small GPT on Moby Dick (next-token prediction), then print a sample.',
  stages: [gptPretrainStage],
  aliases: {
    ...PRETRAIN_ALIASES,
    'tokenizer.type': choice('pretrain.tokenizer', { char: use(CharTokenizerPlugin), 'byte-bpe': use(ByteBpeTokenizerPlugin, { vocabSize: 1024 }) }, 'Character-level or byte-level BPE'),
    'sample.prompt': 'pretrain.sample-text.prompt',
    'sample.maxTokens': 'pretrain.sample-text.maxTokens',
    'sample.temperature': 'pretrain.sample-text.temperature',
    'sample.topK': 'pretrain.sample-text.topK',
  },
});
