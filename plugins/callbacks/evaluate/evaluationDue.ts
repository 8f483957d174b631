/** What asks for an evaluation: a finished step, an epoch end, or the end of the run. */
export type EvalTrigger = 'step' | 'epoch' | 'end';

export interface EvalSchedule {
  /** Every N steps (0: never on steps). */
  every: number;
  atEpochEnd: boolean;
  atEnd: boolean;
}

/**
 * Whether to evaluate now. Never twice at the same step: an epoch that ends on a multiple of
 * `every`, or a run that ends right after an epoch end, has already been evaluated.
 */
export function evaluationDue(trigger: EvalTrigger, step: number, lastEvalStep: number, s: EvalSchedule): boolean {
  if (step === lastEvalStep) return false;
  switch (trigger) {
    case 'step':
      return s.every > 0 && step > 0 && step % s.every === 0;
    case 'epoch':
      return s.atEpochEnd;
    case 'end':
      return s.atEnd;
  }
}
