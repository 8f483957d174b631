import type { InputOptions } from '../../../core/index.ts';

export const CONSOLE_PROGRESS_OPTIONS = {
  mode: {
    type: 'enum',
    values: ['auto', 'bar', 'lines'],
    default: 'auto',
    doc: 'bar: one line redrawn in place; lines: log lines every N steps; auto: bar on a terminal, else lines.',
  },
  everyMs: { type: 'integer', default: 250, min: 0, doc: 'Bar mode: redraw at most this often (milliseconds).' },
  every: { type: 'integer', default: 50, min: 1, doc: 'Lines mode: log a line every N steps.' },
  barWidth: { type: 'integer', default: 20, min: 0, doc: 'Bar mode: cells of the bar (0: percentage only).' },
} as const;

export type ConsoleProgressOptionsInput = InputOptions<typeof CONSOLE_PROGRESS_OPTIONS>;
