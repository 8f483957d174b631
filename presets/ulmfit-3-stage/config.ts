import type { OptionSchema } from '../../core/index.ts';

/**
 * ULMFiT (Howard & Ruder 2018) at a size that trains in minutes on 2 CPU cores: a small AWD-LSTM
 * (embeddings 64, hidden 128, 3 layers) over a word vocabulary, ham-versus-spam mail as the task.
 */
export const ULMFIT_CONFIG = {
  'lm.sources': { type: 'string[]', default: ['npm:moby-dick', 'npm:sotu'], doc: 'Stage 1: general-domain corpora.' },
  'lm.maxChars': { type: 'integer', default: 3_000_000, min: 0, doc: 'Stage 1: characters of general text to use (0: all).' },
  'lm.steps': { type: 'integer', default: 200, min: 1, doc: 'Stage 1: optimizer steps.' },
  'lm.lr': { type: 'number', default: 1e-2, min: 0, exclusiveMin: true, doc: 'Stage 1: peak learning rate.' },
  'lm.seqLen': { type: 'integer', default: 64, min: 4, doc: 'Stages 1-2: BPTT length (tokens per window).' },
  'lm.batchSize': { type: 'integer', default: 32, min: 1, doc: 'Stages 1-2: windows per batch.' },
  'target.steps': { type: 'integer', default: 1000, min: 1, doc: 'Stage 2: optimizer steps of target-domain LM fine-tuning.' },
  'target.lr': { type: 'number', default: 1e-2, min: 0, exclusiveMin: true, doc: 'Stage 2: top learning rate (discriminative rates below).' },
  'target.maxChars': { type: 'integer', default: 0, min: 0, doc: 'Stage 2: characters of target-domain text to use (0: all).' },
  'vocab.maxSize': { type: 'integer', default: 8000, min: 16, doc: 'Word vocabulary cap, specials included.' },
  'vocab.minFreq': { type: 'integer', default: 3, min: 1, doc: 'Words seen fewer times become xxunk.' },
  'model.embSize': { type: 'integer', default: 64, min: 4, doc: 'AWD-LSTM embedding size (and last layer width).' },
  'model.hiddenSize': { type: 'integer', default: 128, min: 4, doc: 'AWD-LSTM hidden size.' },
  'model.nLayers': { type: 'integer', default: 3, min: 1, doc: 'AWD-LSTM layers.' },
  'task.source': { type: 'string', default: 'npm:spam-assassin', minLength: 1, doc: 'Stage 3: labelled data (npm:spam-assassin or a CSV/JSONL file).' },
  'task.trainSize': { type: 'integer', default: 0, min: 0, doc: 'Stage 3: labelled training examples (stratified subsample; 0: all).' },
  'task.maxLen': { type: 'integer', default: 64, min: 8, doc: 'Stage 3: tokens kept per example.' },
  'task.batchSize': { type: 'integer', default: 32, min: 1, doc: 'Stage 3: examples per batch.' },
  'task.epochs': { type: 'integer', default: 5, min: 1, doc: 'Stage 3: epochs (gradual unfreezing adds a layer group per epoch).' },
  'task.minSteps': { type: 'integer', default: 80, min: 0, doc: 'Stage 3: more epochs for small labelled sets, so the run takes at least this many steps.' },
  'task.maxSteps': { type: 'integer', default: 200, min: 0, doc: 'Stage 3: at most this many steps (0: no cap).' },
  'task.lr': { type: 'number', default: 1e-2, min: 0, exclusiveMin: true, doc: 'Stage 3: top learning rate.' },
  'task.lrFactor': { type: 'number', default: 2.6, min: 1, doc: 'Stage 3 from an encoder: ratio of the learning rates of adjacent layer groups (discriminative fine-tuning; 1: one rate).' },
  'task.unfreezeEvery': { type: 'integer', default: 1, min: 0, doc: 'Stage 3 from an encoder: epochs between unfreezing one more layer group from the top (0: all train from the start).' },
  'task.dropMult': { type: 'number', default: 0.3, min: 0, doc: 'Stage 3: multiplies every classifier dropout (encoder and head), as fastai drop_mult.' },
  'task.validate': { type: 'boolean', default: true, doc: 'Stage 3: evaluate on the validation split after every epoch.' },
} as const satisfies OptionSchema;
