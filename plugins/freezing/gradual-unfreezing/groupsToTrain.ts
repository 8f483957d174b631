/**
 * ULMFiT's gradual unfreezing: how many layer groups, counted from the top, train in `epoch`
 * (0-based). One at first (the head), one more every `unfreezeEvery` epochs, at most all.
 */
export function groupsToTrain(epoch: number, numGroups: number, unfreezeEvery: number): number {
  return Math.min(numGroups, 1 + Math.floor(epoch / unfreezeEvery));
}
