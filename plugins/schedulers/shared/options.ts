import { GraftError, ErrorCodes } from '../../../core/index.ts';

/** Every schedule over a run's length accepts this override. */
export const TOTAL_STEPS_OPTION = {
  totalSteps: {
    type: 'integer',
    default: 0,
    min: 0,
    doc: 'Length of the schedule in optimizer steps (0: trainer maxSteps if set, else epochs × batches per epoch).',
  },
} as const;

/** Warm-up options of warmup-cosine and warmup-linear. */
export const WARMUP_OPTIONS = {
  warmupSteps: { type: 'integer', min: 0, doc: 'Warm-up length in steps (0: no warm-up; at most the length of the schedule); when given, overrides warmupFraction.' },
  warmupFraction: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'Warm-up length as a fraction of the total steps (rounded down), when warmupSteps is not given.' },
  minLrRatio: { type: 'number', default: 0, min: 0, max: 1, doc: 'Final learning rate as a fraction of the peak.' },
} as const;

/** Both warm-up lengths given is ambiguous: say so rather than pick one silently. */
export function checkWarmupInput(plugin: string, input: object): void {
  const given = input as Record<string, unknown>;
  if (given.warmupSteps !== undefined && given.warmupFraction !== undefined) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'warmupSteps and warmupFraction are both set', {
      plugin,
      option: 'warmupFraction',
      expected: 'only one of warmupSteps and warmupFraction',
    });
  }
}
