import type { OptionSchema } from '../../core/index.ts';

/**
 * Defaults train a 4-layer, 128-wide character-level GPT on Moby Dick in a few minutes on two CPU
 * cores (wasm backend) and lower the validation loss visibly; raise `train.maxSteps` for better text.
 */
export const GPT_PRETRAIN_CONFIG = {
  'data.sources': { type: 'string[]', default: ['npm:moby-dick'], doc: 'Corpora: npm:moby-dick, npm:sotu, files or folders.' },
  'data.maxChars': { type: 'integer', default: 0, min: 0, doc: 'Use only the first N characters (0: all).' },
  'data.validationFraction': { type: 'number', default: 0.05, min: 0, max: 0.9, doc: 'Held-out fraction of the corpus.' },
  'data.maxValidationBatches': { type: 'integer', default: 16, min: 0, doc: 'Validation batches per evaluation (0: all).' },
  'tokenizer.type': { type: 'enum', values: ['char', 'byte-bpe'], default: 'char', doc: 'Character-level or byte-level BPE.' },
  'tokenizer.vocabSize': { type: 'integer', default: 1024, min: 260, doc: 'BPE only: vocabulary size.' },
  'model.contextLength': { type: 'integer', default: 64, min: 2, doc: 'Context length (tokens).' },
  'model.nLayers': { type: 'integer', default: 4, min: 1, doc: 'Transformer blocks.' },
  'model.nHeads': { type: 'integer', default: 4, min: 1, doc: 'Attention heads.' },
  'model.dModel': { type: 'integer', default: 128, min: 8, doc: 'Model width.' },
  'model.dropout': { type: 'number', default: 0, min: 0, max: 0.9, doc: 'Dropout (0 for short runs).' },
  'train.batchSize': { type: 'integer', default: 16, min: 1, doc: 'Sequences per batch.' },
  'train.maxSteps': { type: 'integer', default: 250, min: 1, doc: 'Optimizer steps.' },
  'train.lr': { type: 'number', default: 3e-3, min: 0, exclusiveMin: true, doc: 'Peak learning rate (AdamW).' },
  'train.weightDecay': { type: 'number', default: 0.1, min: 0, doc: 'Decoupled weight decay on matrices.' },
  'train.warmupSteps': { type: 'integer', default: 30, min: 0, doc: 'Linear warm-up steps before cosine decay.' },
  'train.clip': { type: 'number', default: 1, min: 0, exclusiveMin: true, doc: 'Gradient clipping: max global norm.' },
  'train.evalEvery': { type: 'integer', default: 100, min: 0, doc: 'Evaluate every N steps (0: only at the end).' },
  'train.checkpointEvery': { type: 'integer', default: 100, min: 0, doc: 'Checkpoint every N steps (0: only at the end).' },
  'sample.prompt': { type: 'string', default: 'Call me Ishmael. ', minLength: 1, doc: 'Prompt of the sample printed after training.' },
  'sample.maxTokens': { type: 'integer', default: 200, min: 0, doc: 'Tokens to sample.' },
  'sample.temperature': { type: 'number', default: 0.8, min: 0, doc: 'Sampling temperature (0: greedy).' },
  'sample.topK': { type: 'integer', default: 20, min: 0, doc: 'Sample from the top k tokens (0: all).' },
} as const satisfies OptionSchema;
