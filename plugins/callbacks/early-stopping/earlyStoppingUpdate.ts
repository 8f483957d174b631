import { isImprovement } from './isImprovement.ts';

/** What early stopping remembers between evaluations. */
export interface EarlyStoppingState {
  /** Best value seen so far (null: none yet). */
  best: number | null;
  /** Step at which the best value was seen (-1: none yet). */
  bestStep: number;
  /** Evaluations since the last improvement. */
  wait: number;
}

export interface EarlyStoppingRule {
  mode: 'min' | 'max';
  patience: number;
  minDelta: number;
}

export const INITIAL_EARLY_STOPPING: EarlyStoppingState = { best: null, bestStep: -1, wait: 0 };

/**
 * One evaluation's effect: an improvement resets the wait and records the best value; anything
 * else counts one more evaluation of patience, and the run stops once `patience` have passed.
 */
export function earlyStoppingUpdate(
  s: EarlyStoppingState,
  value: number,
  step: number,
  rule: EarlyStoppingRule,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  if (isImprovement(value, s.best, rule.mode, rule.minDelta)) {
    return { state: { best: value, bestStep: step, wait: 0 }, improved: true, stop: false };
  }
  const wait = s.wait + 1;
  return { state: { ...s, wait }, improved: false, stop: wait >= rule.patience };
}
