export { DiscriminativeLrGroups } from './discriminative/DiscriminativeLrGroups.ts';
export { discriminativeGroups, withTopGroups } from './discriminative/discriminativeGroups.ts';
export { DISCRIMINATIVE_OPTIONS } from './discriminative/DiscriminativeLrGroups.ts';
export { LayerwiseDecayLrGroups } from './layerwise-decay/LayerwiseDecayLrGroups.ts';
export { layerwiseDecayGroups, withHeadOnTop } from './layerwise-decay/layerwiseDecayGroups.ts';
export { LAYERWISE_DECAY_OPTIONS, type LayerwiseDecayOptionsInput } from './layerwise-decay/options.ts';
