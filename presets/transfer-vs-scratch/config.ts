import type { OptionSchema } from '../../core/index.ts';
import { ULMFIT_CONFIG } from '../ulmfit-3-stage/config.ts';

/**
 * The ULMFiT configuration (same keys: the language model of stages 1-2 and the classifier are
 * built by the same functions), plus the grid: labelled-set sizes and seeds. Per-epoch validation
 * is off by default: nothing here uses it, and 60 runs would spend much of their time on it.
 */
export const TRANSFER_VS_SCRATCH_CONFIG = {
  ...ULMFIT_CONFIG,
  'task.validate': { ...ULMFIT_CONFIG['task.validate'], default: false },
  sizes: { type: 'number[]', default: [50, 100, 300, 1000, 0], doc: 'Labelled training-set sizes (stratified, nested; 0: the whole training split).' },
  seeds: { type: 'number[]', default: [1, 2, 3], doc: 'Seeds: each picks the labelled subsample and seeds both runs (weights, order, dropout).' },
} as const satisfies OptionSchema;
