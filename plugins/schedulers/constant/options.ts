export const CONSTANT_OPTIONS = {} as const;
