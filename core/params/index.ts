export { ParameterStore, type ParamEntry, type CreateParamOptions, type ParamTransform } from './ParameterStore.ts';
export { matches, selectNames, globToRegExp, describePattern, type ParamPattern } from './patterns.ts';
