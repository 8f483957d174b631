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

/**
 * The start-of-run decision in words, for the log: what trains from the first step and, when the
 * schedule is kept, whether it reaches the bottom group. Epochs counted from 1: the bottom group
 * first trains in epoch (groups − 1) × unfreezeEvery + 1.
 */
export function unfreezeDecisionText(o: { numGroups: number; unfreezeEvery: number; whenShort: 'keep-schedule' | 'unfreeze-all'; epochsRun: number; all: boolean }): string {
  const n = o.numGroups;
  if (o.unfreezeEvery <= 0) return `unfreezeEvery 0: all ${n} layer groups train from the first step`;
  const needed = (n - 1) * o.unfreezeEvery + 1;
  const run = `the run starts ${o.epochsRun} epoch${o.epochsRun === 1 ? '' : 's'}`;
  if (o.all) return `${run}, fewer than the ${needed} it takes to unfreeze the bottom of ${n} layer groups: every group trains from the first step (whenShort unfreeze-all)`;
  if (o.epochsRun >= needed) return `${run}; one more of ${n} layer groups every ${o.unfreezeEvery} epoch${o.unfreezeEvery === 1 ? '' : 's'}, the bottom one from epoch ${needed}`;
  const reached = groupsToTrain(Math.max(0, o.epochsRun - 1), n, o.unfreezeEvery);
  return `${run}, fewer than the ${needed} it takes to unfreeze the bottom of ${n} layer groups: keeping the schedule, the bottom ${n - reached} never train (whenShort unfreeze-all would train every group)`;
}
