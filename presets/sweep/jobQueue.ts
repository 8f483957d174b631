/**
 * The job queue a sweep runs on, as an interface: the same sweep and the same tests run on BullMQ
 * (Redis, several machines) and on the embedded file queue (one machine, no server).
 */

import type { KeeperSpec } from './leaseKeeper.ts';

/** What a job runs, as data (JSON): a whole run, or one cell of an experiment (see `sweepJobs.ts`). */
export type JobData = Record<string, unknown>;

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'absent';

/** Retries of a job that fails (an error thrown by the run, not a worker that died). */
export interface RetryPolicy {
  /** Attempts in all (1: no retry). */
  attempts: number;
  /** Wait before retry k (from 1): `backoffMs * 2^(k-1)`. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 2, backoffMs: 1000 };

/** Timing of leases: how long a job stays taken without a heartbeat, and how often stalled jobs are looked for. */
export interface LeaseTiming {
  /** A taken job whose holder has not renewed its lease for this long is stalled: another worker takes it. */
  leaseMs: number;
  /** How often a waiting worker looks for jobs (and, on BullMQ, for stalled ones). */
  pollMs: number;
  /** A job found stalled more often than this is failed (a job that kills its worker every time). */
  maxStalls: number;
}

export const DEFAULT_TIMING: LeaseTiming = { leaseMs: 30_000, pollMs: 500, maxStalls: 3 };

/** A job taken by a worker: it owns the job until it completes, fails or releases it, or its lease expires. */
export interface Lease {
  readonly id: string;
  readonly data: JobData;
  /** 1 for the first time the job is taken, counting takes after a stall or a failure. */
  readonly take: number;
}

/** Training progress a worker reports for its job (from the trainer's hooks). */
export interface JobProgress {
  stage?: string;
  step?: number;
  loss?: number;
  [key: string]: unknown;
}

export interface JobInfo {
  id: string;
  state: JobState;
  data?: JobData;
  /** What `complete` was given. */
  result?: unknown;
  /** The last failure's message. */
  error?: string;
  progress?: JobProgress;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

/** Whether a submitted job was new, already there (waiting, running or finished: reused), or failed before and queued again. */
export type AddOutcome = 'added' | 'exists' | 'retried';

export interface JobQueue {
  /** `embedded` or `bullmq`, for messages. */
  readonly kind: string;
  /**
   * Submit a job under `id` (a hash of what it runs): a job already known by that id is not added
   * again (a finished one keeps its result); a failed one is queued again with fresh attempts.
   */
  add(id: string, data: JobData, retry?: RetryPolicy): Promise<AddOutcome>;
  /** Take the next job that is due (waiting, retry delay over, or stalled), or undefined. */
  take(worker: string): Promise<Lease | undefined>;
  /** Renew the lease and record progress; false when the lease was lost (the job went to another worker). */
  heartbeat(lease: Lease, progress?: JobProgress): Promise<boolean>;
  complete(lease: Lease, result: unknown): Promise<void>;
  /** A failed attempt: retried after its backoff while attempts remain, then failed for good. */
  fail(lease: Lease, error: Error): Promise<void>;
  /** What a lease keeper thread renews for `lease` (`keepLease`). */
  keeper(lease: Lease): KeeperSpec;
  /** Give the job back untouched (the worker is stopping): not counted as an attempt. */
  release(lease: Lease): Promise<void>;
  get(id: string): Promise<JobInfo>;
  counts(): Promise<JobCounts>;
  close(): Promise<void>;
}

/** Whether the queue holds nothing left to do: no job waiting, delayed or running. */
export function drained(c: JobCounts): boolean {
  return c.waiting + c.delayed + c.active === 0;
}

/** The backoff before take `k` of a job that failed `failures` times (exponential). */
export function backoffMs(retry: RetryPolicy, failures: number): number {
  return failures <= 0 ? 0 : retry.backoffMs * 2 ** (failures - 1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until job `id` is completed (its info) or failed for good (a rejection naming the error);
 * `onProgress` hears its progress when it changes.
 */
export async function waitForJob(queue: JobQueue, id: string, pollMs: number, onProgress?: (p: JobProgress) => void): Promise<JobInfo> {
  let last = '';
  for (;;) {
    const info = await queue.get(id);
    if (info.state === 'completed') return info;
    if (info.state === 'failed') throw new JobFailedError(id, info.error ?? 'unknown error');
    if (info.state === 'absent') throw new JobFailedError(id, 'the job is not in the queue (removed?)');
    const p = JSON.stringify(info.progress ?? null);
    if (onProgress && info.progress && p !== last) onProgress(info.progress);
    last = p;
    await sleep(pollMs);
  }
}

export class JobFailedError extends Error {
  constructor(readonly jobId: string, readonly reason: string) {
    super(`job ${jobId} failed: ${reason}`);
    this.name = 'JobFailedError';
  }
}
