import { ErrorCodes, GraftError, type TrainerApi } from '../../../core/index.ts';

/**
 * A model's vocabulary size: its `vocabSize` option when given, else the recipe tokenizer's (read
 * at build time, after the tokenizer is fitted or loaded). Neither is an error naming the option.
 */
export function resolveVocabSize(trainer: TrainerApi, plugin: string, given: number | undefined): number {
  const V = given ?? trainer.maybeRole('tokenizer')?.tokenizer.vocabSize;
  if (V === undefined) {
    throw new GraftError(ErrorCodes.BAD_OPTION, 'no vocabulary size', {
      plugin,
      option: 'vocabSize',
      expected: 'an integer >= 1, or a tokenizer plugin in the recipe to read it from',
    });
  }
  return V;
}
