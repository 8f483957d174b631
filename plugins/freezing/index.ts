export { ParamFreezing } from './freeze/ParamFreezing.ts';
export { freezePlan, type FreezeChoice, type FreezeStep } from './freeze/freezePlan.ts';
export { FREEZE_OPTIONS, type FreezeOptionsInput } from './freeze/ParamFreezing.ts';
export { GradualUnfreezing } from './gradual-unfreezing/GradualUnfreezing.ts';
export { epochsStarted, groupsToTrain, unfreezeAllAtStart } from './gradual-unfreezing/groupsToTrain.ts';
export { GRADUAL_UNFREEZING_OPTIONS } from './gradual-unfreezing/GradualUnfreezing.ts';
export { stackLayerGroups } from './shared/stackLayerGroups.ts';
