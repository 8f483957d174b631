export const GRADUAL_UNFREEZING_OPTIONS = {
  unfreezeEvery: { type: 'integer', default: 1, min: 1, doc: 'Epochs between unfreezing one more layer group (from the top).' },
} as const;
