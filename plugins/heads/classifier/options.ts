import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const CLASSIFIER_HEAD_OPTIONS = {
  numClasses: {
    type: 'integer',
    min: 2,
    doc: "Output classes. Default: the dataset's numClasses, read at build time.",
  },
  inputSize: {
    type: 'integer',
    min: 1,
    doc: "Width H of the backbone features [B, T, H]. Default: the model plugin's featureSize.",
  },
  pooling: {
    type: 'string[]',
    default: ['last', 'max', 'mean'],
    doc: "What the pooled features are made of, each H wide, in the order last, max, mean: ULMFiT's concat pooling by default; ['max', 'mean'] for a bag of embeddings (model:embedding-bag), whose last word means nothing.",
  },
  hidden: { type: 'number[]', default: [50], doc: 'Sizes of the hidden layers between the pooled features [B, 3H] and the logits.' },
  dropouts: {
    type: 'number[]',
    default: [0.2, 0.1],
    doc: 'Dropout before each linear layer (one per block: hidden.length + 1 values, each in [0, 1)).',
  },
  dropMult: { type: 'number', default: 1, min: 0, doc: "Multiplies every dropout probability of the plugin (fastai's drop_mult), each capped at 0.95; 1 leaves them as given." },
  bnMomentum: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'BatchNorm running-statistics momentum (PyTorch convention: new = (1-m) old + m batch).' },
  bnEps: { type: 'number', default: 1e-5, min: 0, exclusiveMin: true, doc: 'BatchNorm epsilon added to the variance.' },
} as const satisfies OptionSchema;

export type ClassifierHeadOptionsInput = InputOptions<typeof CLASSIFIER_HEAD_OPTIONS>;
