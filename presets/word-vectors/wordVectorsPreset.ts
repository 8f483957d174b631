import { EvaluateCallback, ExportVectorsCallback } from '../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { SkipGramDataset } from '../../plugins/datasets/index.ts';
import { SkipGramModel } from '../../plugins/models/index.ts';
import { SkipGramObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../plugins/optimizers/index.ts';
import { WarmupLinearScheduler } from '../../plugins/schedulers/index.ts';
import { WordTokenizerPlugin } from '../../plugins/tokenizers/index.ts';
import { choice, recipe, stage, use } from '../recipe/index.ts';

/**
 * Word vectors with word2vec's skip-gram and negative sampling, on Moby Dick and the State of the
 * Union addresses (the shipped corpora), exported as GloVe text (`vectors.txt`, next to the
 * checkpoint) for `init:pretrained-embeddings`. One stage, `vectors`.
 */
export const wordVectorsStage = stage('vectors', 'Skip-gram word vectors (word2vec SGNS)', [
  use(SkipGramDataset, { sources: ['npm:moby-dick', 'npm:sotu'], window: 5, sample: 1e-3, negatives: 5, batchSize: 1024, validationFraction: 0.02, maxValidationBatches: 16 }),
  use(WordTokenizerPlugin, { maxVocab: 20000, minFreq: 5 }),
  use(SkipGramModel, { dim: 100 }),
  use(SkipGramObjective),
  use(AdamwOptimizer, { lr: 0.01, beta1: 0.9, beta2: 0.999, weightDecay: 0 }),
  use(WarmupLinearScheduler, { warmupSteps: 0, minLrRatio: 1e-4 }),
  use(EvaluateCallback, { every: 1000, atEpochEnd: false, atEnd: true }),
  use(PeriodicCheckpoint, { every: 1000, keep: 1, best: false }),
  use(ExportVectorsCallback),
], { epochs: 1, maxSteps: 0 });

export const wordVectorsPreset = recipe({
  name: 'word-vectors',
  description: 'Learn word vectors (skip-gram, negative sampling) on Moby Dick + SOTU; write vectors.txt (GloVe text).',
  stages: [wordVectorsStage],
  aliases: {
    'data.sources': 'vectors.dataset.sources',
    'data.maxChars': 'vectors.dataset.maxChars',
    'data.window': 'vectors.dataset.window',
    'data.sample': 'vectors.dataset.sample',
    'data.negatives': 'vectors.dataset.negatives',
    'vocab.max': 'vectors.tokenizer.maxVocab',
    'vocab.minFreq': 'vectors.tokenizer.minFreq',
    'model.dim': 'vectors.model.dim',
    'train.batchSize': 'vectors.dataset.batchSize',
    'train.epochs': 'vectors.trainer.epochs',
    'train.maxSteps': 'vectors.trainer.maxSteps',
    'train.lr': 'vectors.optimizer.lr',
    'train.optimizer': choice('vectors.optimizer', { adamw: use(AdamwOptimizer, { lr: 0.01, beta1: 0.9, beta2: 0.999, weightDecay: 0 }), sgd: use(SgdOptimizer, { lr: 25, momentum: 0 }) }, 'AdamW, or plain SGD (word2vec)'),
    'train.evalEvery': 'vectors.evaluate.every',
    'train.checkpointEvery': 'vectors.checkpoint.every',
    'export.file': 'vectors.export-vectors.file',
  },
});
