import type { ParamPattern } from '../../../core/index.ts';

export interface FreezeChoice {
  pattern?: ParamPattern;
  exceptHead: boolean;
  invert: boolean;
}

/** One `setTrainable` call: applied in order, later ones win. */
export interface FreezeStep {
  pattern: ParamPattern;
  trainable: boolean;
}

const EVERYTHING = '**';

/**
 * What to freeze, as an ordered list of `setTrainable` calls:
 *  - `pattern`: freeze what matches;
 *  - `pattern` + `invert`: freeze everything, then unfreeze what matches (BitFit: `**.bias`);
 *  - `exceptHead`: freeze everything, then unfreeze the head's groups (linear probe).
 */
export function freezePlan(choice: FreezeChoice, headGroups: readonly ParamPattern[]): FreezeStep[] {
  if (choice.exceptHead) return [{ pattern: EVERYTHING, trainable: false }, ...headGroups.map((pattern) => ({ pattern, trainable: true }))];
  if (choice.invert) return [{ pattern: EVERYTHING, trainable: false }, { pattern: choice.pattern!, trainable: true }];
  return [{ pattern: choice.pattern!, trainable: false }];
}
