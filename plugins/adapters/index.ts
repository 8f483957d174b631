export { LoraAdapter, loraParamNames, type LoraOptions, type LoraTarget } from './lora/LoraAdapter.ts';
export { LORA_OPTIONS, type LoraOptionsInput } from './lora/options.ts';
export { loraWeight } from './lora/loraWeight.ts';
export { loraParameterCount } from './lora/loraParameterCount.ts';
export { BottleneckAdapter, type BottleneckModule } from './bottleneck/BottleneckAdapter.ts';
export { BOTTLENECK_OPTIONS, type BottleneckOptionsInput } from './bottleneck/BottleneckAdapter.ts';
export { houlsbyAdapter, houlsbyParameterCount } from './bottleneck/houlsbyAdapter.ts';
export { freezeAllExcept, trainableCount } from './shared/freezeAllExcept.ts';
export { forwardOnce } from './shared/forwardOnce.ts';
