import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const CLASSIFICATION_OPTIONS = {
  classWeights: {
    type: 'number[]',
    doc: 'Weight per class (length numClasses, each >= 0); the loss is the weighted mean sum(w_y * nll) / sum(w_y), as PyTorch.',
  },
  labelSmoothing: {
    type: 'number',
    default: 0,
    min: 0,
    max: 0.99,
    doc: 'Label smoothing ε in [0, 1): the target is (1-ε) one-hot + ε uniform (PyTorch formula, weights included).',
  },
} as const satisfies OptionSchema;

export type ClassificationOptionsInput = InputOptions<typeof CLASSIFICATION_OPTIONS>;
