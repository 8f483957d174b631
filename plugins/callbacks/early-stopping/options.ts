import type { InputOptions } from '../../../core/index.ts';

export const EARLY_STOPPING_OPTIONS = {
  monitor: { type: 'string', default: 'validation_loss', doc: 'The metric to watch, as evaluation reports it.' },
  mode: { type: 'enum', values: ['min', 'max'], default: 'min', doc: 'Whether lower (min) or higher (max) is better.' },
  patience: { type: 'integer', default: 3, min: 1, doc: 'Evaluations without improvement before the run stops.' },
  minDelta: { type: 'number', default: 0, min: 0, doc: 'Smallest change that counts as an improvement.' },
  restoreBest: {
    type: 'boolean',
    default: false,
    doc: 'Keep a copy of the best parameters in memory and put them back when the run ends.',
  },
} as const;

export type EarlyStoppingOptionsInput = InputOptions<typeof EARLY_STOPPING_OPTIONS>;
