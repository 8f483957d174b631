import type { InputOptions } from '../../../core/index.ts';

export const EVALUATE_OPTIONS = {
  every: { type: 'integer', default: 0, min: 0, doc: 'Evaluate every N optimizer steps (0: off).' },
  atEpochEnd: { type: 'boolean', default: true, doc: 'Evaluate when an epoch ends (afterEpoch).' },
  atEnd: { type: 'boolean', default: true, doc: 'Evaluate when the run ends (afterRun), unless it failed.' },
  split: { type: 'enum', values: ['train', 'validation', 'test'], default: 'validation', doc: 'The split to evaluate on.' },
} as const;

export type EvaluateOptionsInput = InputOptions<typeof EVALUATE_OPTIONS>;
