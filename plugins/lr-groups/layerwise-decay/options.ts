import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const LAYERWISE_DECAY_OPTIONS = {
  decay: {
    type: 'number',
    default: 0.8,
    min: 0,
    max: 1,
    exclusiveMin: true,
    doc: 'Each layer group learns this fraction of the rate of the one above: group k of K gets decay^(K-1-k) (ELECTRA uses 0.8, BEiT 0.65-0.9).',
  },
  headMultiplier: {
    type: 'number',
    default: 1,
    min: 0,
    exclusiveMin: true,
    doc: "The top group's (the head's) rate, as a multiple of the base rate.",
  },
} as const satisfies OptionSchema;

export type LayerwiseDecayOptionsInput = InputOptions<typeof LAYERWISE_DECAY_OPTIONS>;
