import type { OptionSchema } from '../../../core/index.ts';

export const MASKED_LM_OPTIONS = {
  maskProb: { type: 'number', default: 0.15, min: 0, max: 1, doc: 'Fraction of maskable tokens selected for prediction.' },
  maskTokenFraction: { type: 'number', default: 0.8, min: 0, max: 1, doc: 'Of the selected tokens, the fraction replaced by the mask token.' },
  randomTokenFraction: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'Of the selected tokens, the fraction replaced by a random token (the rest stay unchanged).' },
} as const satisfies OptionSchema;
