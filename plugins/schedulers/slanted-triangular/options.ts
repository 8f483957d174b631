import { TOTAL_STEPS_OPTION } from '../shared/options.ts';

export const SLANTED_TRIANGULAR_OPTIONS = {
  cutFrac: { type: 'number', default: 0.1, min: 0, exclusiveMin: true, max: 1, doc: 'Fraction of steps spent rising, in (0, 1).' },
  ratio: { type: 'number', default: 32, min: 1, doc: 'How much smaller the lowest rate is than lrMax.' },
  ...TOTAL_STEPS_OPTION,
} as const;
