export { SkipGramModel, SKIP_GRAM_MODEL_OPTIONS, type SkipGramModelOptions } from './SkipGramModel.ts';
export { createSkipGramParameters, INPUT_EMBED, OUTPUT_EMBED } from './createSkipGramParameters.ts';
export { skipGramForward } from './skipGramForward.ts';
