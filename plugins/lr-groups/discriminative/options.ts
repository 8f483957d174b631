export const DISCRIMINATIVE_OPTIONS = {
  factor: { type: 'number', default: 2.6, min: 0, exclusiveMin: true, doc: 'Each layer group learns this many times slower than the one above.' },
} as const;
