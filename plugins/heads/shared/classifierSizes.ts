import { ErrorCodes, GraftError, type TrainerApi } from '../../../core/index.ts';

/**
 * What a classification head reads at build time when its options leave them out: the number of
 * classes (the dataset's `numClasses`) and the width of the backbone features (the model's
 * `featureSize`). A BAD_OPTION error names the plugin and the option when neither says.
 */
export function classifierSizes(trainer: TrainerApi, plugin: string, o: { numClasses?: number; inputSize?: number }): { classes: number; width: number } {
  const classes = o.numClasses ?? trainer.maybeRole('dataset')?.numClasses;
  if (classes === undefined) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'number of classes unknown', { plugin, option: 'numClasses', expected: 'an integer >= 2, or a dataset plugin with numClasses' });
  }
  const width = o.inputSize ?? trainer.maybeRole('model')?.featureSize;
  if (width === undefined) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'width of the backbone features unknown', {
      plugin,
      option: 'inputSize',
      expected: 'an integer >= 1, or a model plugin with a featureSize property',
    });
  }
  return { classes, width };
}
