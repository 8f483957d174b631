export { AdamwOptimizer } from './adamw/AdamwOptimizer.ts';
export { adamwUpdate, type AdamwHyper } from './adamw/adamwUpdate.ts';
export { ADAMW_OPTIONS, type AdamwOptionsInput } from './adamw/AdamwOptimizer.ts';
export { SgdOptimizer } from './sgd/SgdOptimizer.ts';
export { sgdUpdate, type SgdHyper } from './sgd/sgdUpdate.ts';
export { SGD_OPTIONS, type SgdOptionsInput } from './sgd/SgdOptimizer.ts';
export { GroupedOptimizer, type ParamHyper, type SlotUpdate } from './shared/GroupedOptimizer.ts';
export { resolveGroups } from './shared/resolveGroups.ts';
export { validateGroups, DEFAULT_GROUP } from './shared/validateGroups.ts';
