/** Test utilities for plugin authors: `import { pluginConformance } from 'graftml/testing'`. */
export { pluginConformance, conformanceChecks, type ConformanceCheck } from './pluginConformance.ts';
export type { ConformanceSpec } from './spec.ts';
export type { ConformanceTestFn, ConformanceAssertions } from './testFn.ts';
export { ConformanceFailure } from './failure.ts';
export { checkTrainsWithoutLeak } from './checks/train.ts';
export { checkSaveLoadState } from './checks/saveLoad.ts';
export { checkResumeState } from './checks/resume.ts';
export { checkEvaluate } from './checks/evaluate.ts';
export { checkLoadWithoutPlugin } from './checks/loadWithout.ts';
export { ToyDataset, ToyModel, ToyObjective, ToySgd, toyPlugins } from '../helpers/toy.ts';
