import { TOTAL_STEPS_OPTION } from '../shared/options.ts';

export const ONE_CYCLE_OPTIONS = {
  pctStart: { type: 'number', default: 0.25, min: 0, exclusiveMin: true, max: 1, doc: 'Fraction of the run spent rising, in (0, 1).' },
  divFactor: { type: 'number', default: 25, min: 0, exclusiveMin: true, doc: 'Initial rate is peak / divFactor.' },
  finalDivFactor: {
    type: 'number',
    default: 1e4,
    min: 0,
    exclusiveMin: true,
    doc: 'Final rate is peak / (divFactor × finalDivFactor).',
  },
  ...TOTAL_STEPS_OPTION,
} as const;
