import { resolveOptions, type InputOptions, type ResolvedOptions } from '../options/index.ts';

export const TRAINER_OPTIONS = {
  seed: { type: 'integer', default: 42, min: 0, doc: 'Seed for weights, shuffling, dropout and sampling.' },
  epochs: { type: 'integer', default: 1, min: 0, doc: 'Epochs to train at most.' },
  maxSteps: { type: 'integer', default: 0, min: 0, doc: 'Optimizer steps at most (0: no limit).' },
  minSteps: {
    type: 'integer',
    default: 0,
    min: 0,
    doc: "Train at least this many optimizer steps: when the run starts, epochs are raised to ceil(minSteps / the dataset's training batches per epoch) (0: off); maxSteps still caps the run. For small labelled sets, whose few batches an epoch make a handful of steps.",
  },
  backend: {
    type: 'enum',
    values: ['auto', 'node-gpu', 'node', 'wasm', 'cpu', 'keep'],
    default: 'auto',
    doc: "Backend to run on, chosen at setup: 'auto' the fastest that loads (node-gpu, node, wasm, cpu; env GRAFT_BACKEND overrides), a name that one or an error, 'keep' whatever tfjs runs now.",
  },
  checkFiniteEvery: {
    type: 'integer',
    default: 50,
    min: 0,
    doc: 'Read the finite-loss flag every N steps (0: only at saves, evaluations and the end of the run); a NaN or infinite loss stops the run with GRAFT_ERR_NON_FINITE. The flag itself is updated on the device every step, without a read.',
  },
} as const;

export type TrainerOptionsInput = InputOptions<typeof TRAINER_OPTIONS>;
export type TrainerOptions = ResolvedOptions<typeof TRAINER_OPTIONS>;

export function resolveTrainerOptions(input: TrainerOptionsInput = {}): TrainerOptions {
  return resolveOptions('trainer', TRAINER_OPTIONS, input);
}
