/**
 * ULMFiT's gradual unfreezing: how many layer groups, counted from the top, train in `epoch`
 * (0-based). One at first (the head), one more every `unfreezeEvery` epochs, at most all.
 */
export function groupsToTrain(epoch: number, numGroups: number, unfreezeEvery: number): number {
  if (unfreezeEvery <= 0) return numGroups;
  return Math.min(numGroups, 1 + Math.floor(epoch / unfreezeEvery));
}

/** What a run's limits allow: epochs it starts (the last possibly cut short by maxSteps). */
export function epochsStarted(maxEpochs: number, maxSteps: number, batchesPerEpoch: number): number {
  return maxSteps > 0 && batchesPerEpoch > 0 ? Math.min(maxEpochs, Math.ceil(maxSteps / batchesPerEpoch)) : maxEpochs;
}

/**
 * Whether every group should train from the first step: unfreezing is off (`unfreezeEvery` 0), or
 * `whenShort` is 'unfreeze-all' and the run starts too few epochs for the bottom group ever to be
 * unfrozen (it is unfrozen in epoch (groups − 1) × unfreezeEvery), so it would never train.
 */
export function unfreezeAllAtStart(o: { numGroups: number; unfreezeEvery: number; whenShort: 'keep-schedule' | 'unfreeze-all'; epochsRun: number }): boolean {
  if (o.unfreezeEvery <= 0) return true;
  return o.whenShort === 'unfreeze-all' && (o.numGroups - 1) * o.unfreezeEvery >= o.epochsRun;
}
