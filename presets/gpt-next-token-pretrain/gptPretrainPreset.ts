import path from 'node:path';
import { writeFileSync } from 'node:fs';
import type { GraftPlugin, ResolvedOptions } from '../../core/index.ts';
import { EvaluateCallback, GradClipCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { LmHead } from '../../plugins/heads/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { WarmupCosineScheduler } from '../../plugins/schedulers/index.ts';
import { ByteBpeTokenizerPlugin, CharTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { definePreset, type StageSpec } from '../runner/Preset.ts';
import { sampleText } from '../../plugins/generation/index.ts';
import { GPT_PRETRAIN_CONFIG } from './config.ts';

type Config = ResolvedOptions<typeof GPT_PRETRAIN_CONFIG>;

function tokenizer(c: Config, from?: string): GraftPlugin {
  return c['tokenizer.type'] === 'char'
    ? new CharTokenizerPlugin(from ? { from } : {})
    : new ByteBpeTokenizerPlugin(from ? { from } : { vocabSize: c['tokenizer.vocabSize'] });
}

function model(c: Config): GraftPlugin[] {
  return [
    new GptModel({
      contextLength: c['model.contextLength'],
      nLayers: c['model.nLayers'],
      nHeads: c['model.nHeads'],
      dModel: c['model.dModel'],
      dropout: c['model.dropout'],
    }),
    new LmHead({ tied: true }),
  ];
}

/** The pre-training stage, exported (`graftml/presets`) for presets of your own that start from a GPT. */
export function gptPretrainStage(c: Config): StageSpec {
  return {
    name: 'pretrain',
    description: `GPT next-token pre-training on ${c['data.sources'].join(', ')}`,
    plugins: () => [
      new TextCorpusDataset({
        sources: c['data.sources'],
        maxChars: c['data.maxChars'],
        validationFraction: c['data.validationFraction'],
        maxValidationBatches: c['data.maxValidationBatches'],
        seqLen: c['model.contextLength'],
        batchSize: c['train.batchSize'],
      }),
      tokenizer(c),
      ...model(c),
      new NextTokenObjective(),
      new AdamwOptimizer({ lr: c['train.lr'], beta1: 0.9, beta2: 0.95, weightDecay: c['train.weightDecay'] }),
      new WarmupCosineScheduler({ warmupSteps: Math.min(c['train.warmupSteps'], c['train.maxSteps']), minLrRatio: 0.1 }),
      new GradClipCallback({ maxNorm: c['train.clip'] }),
      new EvaluateCallback({ every: c['train.evalEvery'], atEpochEnd: false, atEnd: true }),
      new PeriodicCheckpoint({ every: c['train.checkpointEvery'], keep: 1 }),
    ],
    options: () => ({ epochs: 1000, maxSteps: c['train.maxSteps'] }),
    async after(trainer, ctx) {
      const sample = await sampleText(trainer, c['sample.prompt'], {
        maxNewTokens: c['sample.maxTokens'],
        temperature: c['sample.temperature'],
        topK: c['sample.topK'],
        seed: ctx.seed,
      });
      writeFileSync(path.join(ctx.stageDir, 'sample.txt'), sample + '\n');
      return { sample };
    },
    inference: (dir) => [tokenizer(c, dir), ...model(c)],
  };
}

export const gptPretrainPreset = definePreset({
  name: 'gpt-next-token-pretrain',
  description: 'Pre-train a small GPT on Moby Dick (next-token prediction), then print a sample.',
  config: GPT_PRETRAIN_CONFIG,
  stages: (c) => [gptPretrainStage(c)],
});
