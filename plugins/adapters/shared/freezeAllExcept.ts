import { ErrorCodes, GraftError, matches, type ParamPattern, type ParameterStore } from '../../../core/index.ts';

/**
 * Parameter-efficient fine-tuning's freezing: every parameter is frozen except the adapter's own
 * (`own`) and those matching a pattern of `alsoTrain` (a head, layer norms), which are made
 * trainable. Each `alsoTrain` pattern must match something: a typo must not silently train nothing.
 */
export function freezeAllExcept(params: ParameterStore, own: ParamPattern, alsoTrain: readonly string[], plugin: string): void {
  const names = params.names();
  for (const p of alsoTrain) {
    if (!names.some((n) => matches(n, p))) {
      throw new GraftError(ErrorCodes.PARAMETER, `pattern ${JSON.stringify(p)} matches no parameter`, {
        plugin,
        option: 'alsoTrain',
        hint: 'List parameter names with `graft describe` or trainer.params.names()',
      });
    }
  }
  params.setTrainable('**', false, plugin);
  params.setTrainable(own, true, plugin);
  if (alsoTrain.length) params.setTrainable([...alsoTrain], true, plugin);
}

/** Number of scalars in parameters matching `pattern` that are trainable (for reports and tests). */
export function trainableCount(params: ParameterStore, pattern: ParamPattern = '**'): number {
  let n = 0;
  for (const e of params.trainable()) if (matches(e.name, pattern)) n += e.variable.size;
  return n;
}
