import type { InputOptions, OptionSchema } from '../../../core/index.ts';

/** Options every classification metric shares: where to read logits and labels. */
export const CLASSIFICATION_METRIC_OPTIONS = {
  logitsKey: { type: 'string', default: 'logits', doc: 'Output holding the class scores [B, C]; the prediction is their argmax.' },
  labelsKey: { type: 'string', default: 'labels', doc: 'Batch field holding the true class ids [B].' },
} as const satisfies OptionSchema;

export type ClassificationMetricOptionsInput = InputOptions<typeof CLASSIFICATION_METRIC_OPTIONS>;
