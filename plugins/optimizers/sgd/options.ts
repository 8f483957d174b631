import type { InputOptions, ParamGroupSpec } from '../../../core/index.ts';

export const SGD_OPTIONS = {
  lr: { type: 'number', default: 0.01, min: 0, doc: 'Base learning rate (schedulers scale it, groups multiply it).' },
  momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'Momentum μ in [0, 1); 0 is plain SGD.' },
  nesterov: { type: 'boolean', default: false, doc: 'Nesterov momentum (needs momentum > 0).' },
  weightDecay: {
    type: 'number',
    default: 0,
    min: 0,
    doc: 'L2 penalty added to the gradient, only for parameters created with decay: true; a group may override it.',
  },
  groups: { type: 'any', default: [], doc: 'Parameter groups [{ name, pattern, lrScale?, weightDecay? }]; first match owns a parameter.' },
} as const;

export type SgdOptionsInput = Omit<InputOptions<typeof SGD_OPTIONS>, 'groups'> & { groups?: ParamGroupSpec[] };
