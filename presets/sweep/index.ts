/** Sweeps: a grid of runs (or an experiment's cells) as jobs on a queue, run by workers on one machine or several. */
export { DEFAULT_RETRY, DEFAULT_TIMING, drained, backoffMs, waitForJob, JobFailedError } from './jobQueue.ts';
export type { JobQueue, JobData, JobState, JobInfo, JobCounts, JobProgress, Lease, LeaseTiming, RetryPolicy, AddOutcome } from './jobQueue.ts';
export { FileQueue, FILE_QUEUE_DIR } from './fileQueue.ts';
// BullMQ and ioredis load only when a sweep is given --redis (openQueue imports them then).
export type { BullmqQueue } from './bullmqQueue.ts';
export { openQueue, defaultQueueName, type QueueChoice } from './openQueue.ts';
export { keepLease, type KeeperSpec } from './leaseKeeper.ts';
export { workLoop, type JobContext, type JobHandler, type WorkLoopOptions, type WorkLoopSummary } from './workLoop.ts';
export { runSweepJob, finishedResults, jobLockCommand, jobLockOptions, type RunJobOptions } from './runJob.ts';
export { SweepProgress } from './jobProgress.ts';
export { canonicalJson, runJobId, cellJobId, parseGrid, expandGrid, pointDirName, type RunJobData, type CellJobData, type SweepJobData } from './sweepJobs.ts';
export { planSweep, runSweep, type SweepOptions, type SweepPoint, type SweepSummary } from './sweep.ts';
export { writeSweepReport, type SweepRun } from './sweepReport.ts';
