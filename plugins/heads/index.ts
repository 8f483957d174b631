export { LmHead, type LmHeadOptions } from './lm/LmHead.ts';
export { LM_HEAD_OPTIONS } from './lm/LmHead.ts';
export { lmLogits } from './lm/lmLogits.ts';
export { ClassifierHead } from './classifier/ClassifierHead.ts';
export { CLASSIFIER_HEAD_OPTIONS, type ClassifierHeadOptionsInput } from './classifier/options.ts';
export { concatPooling } from './classifier/concatPooling.ts';
export { batchMoments, batchNormalize, updateRunningStats } from './classifier/batchNorm1d.ts';
