import type { InputOptions } from '../../../core/index.ts';

export const GRAD_ACCUMULATION_OPTIONS = {
  steps: {
    type: 'integer',
    default: 1,
    min: 1,
    doc: 'Micro-batches per optimizer update (k): gradients of k batches are averaged, then applied once (1: off).',
  },
} as const;

export type GradAccumulationOptionsInput = InputOptions<typeof GRAD_ACCUMULATION_OPTIONS>;
