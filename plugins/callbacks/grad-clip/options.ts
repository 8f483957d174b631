export const GRAD_CLIP_OPTIONS = {
  maxNorm: { type: 'number', default: 1, min: 0, exclusiveMin: true, doc: 'Largest global L2 norm of the gradients.' },
} as const;
