import { EvaluateCallback, GradClipCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { TextCorpusDataset } from '../../plugins/datasets/index.ts';
import { MlmHead } from '../../plugins/heads/index.ts';
import { MaskedAccuracyMetric } from '../../plugins/metrics/index.ts';
import { GptModel } from '../../plugins/models/index.ts';
import { MaskedLmObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../plugins/optimizers/index.ts';
import { WarmupLinearScheduler } from '../../plugins/schedulers/index.ts';
import { ByteBpeTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { PRETRAIN_ALIASES } from '../gpt-next-token-pretrain/gptPretrainPreset.ts';
import { recipe, stage, use } from '../recipe/index.ts';

/**
 * BERT-style masked-LM pre-training, exported (`graftml/presets`) for recipes of your own that
 * start from a small BERT: a bidirectional `model:gpt` (causal: false) with BERT's MLM head on
 * byte-level BPE tokens of Moby Dick and the State of the Union speeches. Its defaults finish in a
 * few minutes on two CPU cores (wasm backend).
 */
export const bertMlmStage = stage('pretrain', 'BERT masked-LM pre-training', [
  use(TextCorpusDataset, { sources: ['npm:moby-dick', 'npm:sotu'], maxChars: 3_000_000, validationFraction: 0.02, maxValidationBatches: 16, seqLen: 64, batchSize: 16 }),
  use(ByteBpeTokenizerPlugin, { vocabSize: 1024, specials: ['pad', 'eos', 'mask'] }),
  use(GptModel, { causal: false, contextLength: 64, nLayers: 4, nHeads: 4, dModel: 128, dropout: 0, segmentVocabSize: 0 }),
  use(MlmHead),
  use(MaskedLmObjective, { maskProb: 0.15, maskTokenFraction: 0.8, randomTokenFraction: 0.1 }),
  use(MaskedAccuracyMetric),
  use(AdamwOptimizer, { lr: 1e-3, beta1: 0.9, beta2: 0.98, weightDecay: 0.01 }),
  use(WarmupLinearScheduler, { warmupSteps: 40, minLrRatio: 0 }),
  use(GradClipCallback, { maxNorm: 1 }),
  use(EvaluateCallback, { every: 100, atEpochEnd: false, atEnd: true }),
  use(PeriodicCheckpoint, { every: 100, keep: 1 }),
], { epochs: 1000, maxSteps: 400 });

export const bertMlmPreset = recipe({
  name: 'bert-mlm-pretrain',
  description: 'Pre-train a small BERT (bidirectional encoder, MLM head) on Moby Dick and State of the Union speeches by masked-LM.',
  stages: [bertMlmStage],
  aliases: {
    ...PRETRAIN_ALIASES,
    'tokenizer.vocabSize': 'pretrain.tokenizer.vocabSize',
    'model.segmentVocabSize': 'pretrain.model.segmentVocabSize',
    'mlm.maskProb': 'pretrain.objective.maskProb',
  },
});
