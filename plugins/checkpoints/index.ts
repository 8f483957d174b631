export { PeriodicCheckpoint, BEST_DIR } from './periodic/PeriodicCheckpoint.ts';
export { PERIODIC_CHECKPOINT_OPTIONS, type PeriodicCheckpointOptionsInput } from './periodic/options.ts';
export { checkpointsToPrune } from './periodic/checkpointsToPrune.ts';
export { stepDirName, parseStepDir } from './periodic/stepDirName.ts';
export { writeLatest, readLatest, latestCheckpoint, LATEST_FILE, type LatestPointer } from './periodic/latestPointer.ts';
