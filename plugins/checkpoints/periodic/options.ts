import type { InputOptions } from '../../../core/index.ts';

export const PERIODIC_CHECKPOINT_OPTIONS = {
  dir: { type: 'string', doc: 'Folder for the checkpoints (default: <run folder>/checkpoints).' },
  every: { type: 'integer', default: 500, min: 0, doc: 'Save every N optimizer steps (0: only at the end).' },
  perRun: { type: 'integer', default: 0, min: 0, doc: "Save this many times a run, evenly spaced: every = max(1, round(planned steps / perRun)), planned steps from the run's limits when it starts (maxSteps, or epochs × batches per epoch, whichever comes first); overrides every (0: use every)." },
  atEnd: { type: 'boolean', default: true, doc: 'Save when the run ends, unless it failed.' },
  keep: { type: 'integer', default: 2, min: 0, doc: 'Step checkpoints to keep, newest first (0: keep all).' },
  best: { type: 'boolean', default: true, doc: 'Also keep a copy in <dir>/best whenever the monitored metric improves.' },
  monitor: { type: 'string', default: 'validation_loss', doc: 'The metric that decides the best checkpoint.' },
  mode: { type: 'enum', values: ['min', 'max'], default: 'min', doc: 'Whether lower (min) or higher (max) is better.' },
  params: {
    type: 'enum',
    values: ['all', 'trainable'],
    default: 'all',
    doc: "all, or trainable: adapter-only checkpoints on the base checkpoint init:from-checkpoint loaded (trainable parameters, those that differ from the base, all plugin state; the base's path and SHA-256 recorded and checked on load).",
  },
} as const;

export type PeriodicCheckpointOptionsInput = InputOptions<typeof PERIODIC_CHECKPOINT_OPTIONS>;
