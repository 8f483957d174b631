import { TOTAL_STEPS_OPTION, WARMUP_OPTIONS } from '../shared/options.ts';

export const WARMUP_LINEAR_OPTIONS = { ...WARMUP_OPTIONS, ...TOTAL_STEPS_OPTION } as const;
