export { NextTokenObjective, withPerplexity, type NextTokenOptions } from './next-token/NextTokenObjective.ts';
export { NEXT_TOKEN_OPTIONS } from './next-token/NextTokenObjective.ts';
export { tokenCrossEntropy, rowNll } from './next-token/tokenCrossEntropy.ts';
export { MaskedLmObjective, type MaskedLmOptions } from './masked-lm/MaskedLmObjective.ts';
export { MASKED_LM_OPTIONS } from './masked-lm/MaskedLmObjective.ts';
export { maskTokens, type MaskingConfig, type MaskedTokens } from './masked-lm/maskTokens.ts';
export { ClassificationObjective } from './classification/ClassificationObjective.ts';
export { CLASSIFICATION_OPTIONS, type ClassificationOptionsInput } from './classification/ClassificationObjective.ts';
export { softmaxCrossEntropy, type CrossEntropyOptions } from './classification/softmaxCrossEntropy.ts';
