export { DiscriminativeLrGroups } from './discriminative/DiscriminativeLrGroups.ts';
export { discriminativeGroups, withTopGroups } from './discriminative/discriminativeGroups.ts';
export { DISCRIMINATIVE_OPTIONS } from './discriminative/DiscriminativeLrGroups.ts';
