import type { InputOptions, ParamGroupSpec } from '../../../core/index.ts';

export const ADAMW_OPTIONS = {
  lr: { type: 'number', default: 1e-3, min: 0, doc: 'Base learning rate (schedulers scale it, groups multiply it).' },
  beta1: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'Decay of the first moment, in [0, 1).' },
  beta2: { type: 'number', default: 0.999, min: 0, max: 1, doc: 'Decay of the second moment, in [0, 1).' },
  eps: { type: 'number', default: 1e-8, min: 0, exclusiveMin: true, doc: 'Added to √v̂ in the denominator.' },
  weightDecay: {
    type: 'number',
    default: 0.01,
    min: 0,
    doc: 'Decoupled weight decay, applied only to parameters created with decay: true; a group may override it.',
  },
  groups: { type: 'any', default: [], doc: 'Parameter groups [{ name, pattern, lrScale?, weightDecay? }]; first match owns a parameter.' },
} as const;

export type AdamwOptionsInput = Omit<InputOptions<typeof ADAMW_OPTIONS>, 'groups'> & { groups?: ParamGroupSpec[] };
