import type { InputOptions } from '../../../core/index.ts';

export const JSONL_METRICS_OPTIONS = {
  file: { type: 'string', doc: 'File to append to (default: <run folder>/metrics.jsonl).' },
  every: { type: 'integer', default: 10, min: 1, doc: 'Write a training line every N steps.' },
  flushEvery: {
    type: 'integer',
    default: 100,
    min: 1,
    doc: 'Write buffered lines once this many are waiting (also at each evaluation, epoch end, run end and error).',
  },
} as const;

export type JsonlMetricsOptionsInput = InputOptions<typeof JSONL_METRICS_OPTIONS>;
