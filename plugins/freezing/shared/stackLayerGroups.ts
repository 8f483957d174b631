import { ErrorCodes, GraftError, type ParamPattern, type TrainerApi } from '../../../core/index.ts';

/**
 * The run's layer groups, bottom to top: the model's `layerGroups()`, then the head's (if the
 * recipe has a head). ULMFiT's freezing and discriminative rates work on these, so they apply to
 * any model without knowing its parameter names.
 */
export function stackLayerGroups(trainer: TrainerApi, who: string): ParamPattern[] {
  const groups = [...trainer.role('model').layerGroups(), ...(trainer.maybeRole('head')?.layerGroups() ?? [])];
  if (groups.length === 0) {
    throw new GraftError(ErrorCodes.PARAMETER, 'the model and head declare no layer groups', {
      plugin: who,
      hint: 'Implement layerGroups() on the model (bottom to top) to use layer-wise strategies',
    });
  }
  return groups;
}
