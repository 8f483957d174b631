export { LossSpikeGuard, type LossSpikeGuardOptions } from './LossSpikeGuard.ts';
export { updateEma } from './updateEma.ts';
