import { randomBytes } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ErrorCodes, GraftError } from '../../core/errors/index.ts';
import {
  DEFAULT_RETRY,
  DEFAULT_TIMING,
  type AddOutcome,
  type JobCounts,
  type JobData,
  type JobInfo,
  type JobProgress,
  type JobQueue,
  type JobState,
  type Lease,
  type LeaseTiming,
  type RetryPolicy,
} from './jobQueue.ts';
import type { KeeperSpec } from './leaseKeeper.ts';

interface BullLease extends Lease {
  readonly token: string;
  readonly job: Job;
}

/** A `redis://host:port[/db]` URL, checked (a usage error naming it otherwise). */
export function checkRedisUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GraftError(ErrorCodes.USAGE, '--redis needs a Redis URL', { received: url, expected: 'redis://host:port, e.g. redis://127.0.0.1:6379' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new GraftError(ErrorCodes.USAGE, '--redis needs a Redis URL', { received: url, expected: 'redis://host:port (or rediss:// for TLS)' });
  }
  return u;
}

/**
 * The queue on BullMQ and Redis, for workers on several machines. Jobs are BullMQ jobs whose id is
 * the sweep's job id (BullMQ adds nothing under an id it knows: submitting twice does not
 * duplicate, and a completed job keeps its return value). Workers fetch jobs by hand
 * (`Worker.getNextJob` with a token of their own, `autorun: false`), renew the job's lock as their
 * heartbeat (`extendLock`), and run BullMQ's stalled-job checker, which moves a job whose lock
 * expired (its worker died) back to wait for the next worker, and fails it after `maxStalls` stalls.
 * Failures are retried by BullMQ (`attempts`, exponential `backoff`).
 */
export class BullmqQueue implements JobQueue {
  readonly kind = 'bullmq';
  private readonly timing: LeaseTiming;
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly connections: Redis[] = [];

  constructor(readonly url: string, readonly name: string, timing: Partial<LeaseTiming> = {}) {
    checkRedisUrl(url);
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.queue = new Queue(name, { connection: this.connect() });
  }

  /** Check that Redis answers (within `timeoutMs`): an IO error naming the URL otherwise, instead of commands waiting forever. */
  async ready(timeoutMs = 5000): Promise<this> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ETIMEDOUT: no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await this.call(() => Promise.race([this.connections[0]!.ping(), timeout]), 'connect');
    } finally {
      clearTimeout(timer);
    }
    return this;
  }

  /** An ioredis client (BullMQ 6 takes a client instance in an ES module); BullMQ needs maxRetriesPerRequest null. */
  private connect(): Redis {
    const r = new Redis(this.url, { maxRetriesPerRequest: null, lazyConnect: false });
    // Connection errors surface as rejected commands; without a listener ioredis would also print each retry.
    r.on('error', () => {});
    this.connections.push(r);
    return r;
  }

  private async ensureWorker(): Promise<Worker> {
    if (!this.worker) {
      this.worker = new Worker(this.name, null, {
        connection: this.connect(),
        autorun: false,
        lockDuration: this.timing.leaseMs,
        stalledInterval: Math.max(250, Math.floor(this.timing.leaseMs / 2)),
        maxStalledCount: this.timing.maxStalls,
        removeOnComplete: { count: 1_000_000 },
      });
      this.worker.on('error', () => {});
      // Manual fetching: the stalled checker is ours to start.
      void this.worker.startStalledCheckTimer();
    }
    return this.worker;
  }

  async add(id: string, data: JobData, retry: RetryPolicy = DEFAULT_RETRY): Promise<AddOutcome> {
    const known = await this.call(() => Job.fromId(this.queue, id), 'look up a job');
    if (known) {
      if ((await known.getState()) !== 'failed') return 'exists';
      await known.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return 'retried';
    }
    await this.call(
      () => this.queue.add('run', data, { jobId: id, attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs }, removeOnComplete: false, removeOnFail: false }),
      'add a job',
    );
    return 'added';
  }

  async take(worker: string): Promise<Lease | undefined> {
    const w = await this.ensureWorker();
    const token = `${worker}:${randomBytes(6).toString('hex')}`;
    const job = await this.call(() => w.getNextJob(token, { block: false }), 'take a job');
    if (!job) return undefined;
    const lease: BullLease = { id: job.id!, data: job.data as JobData, take: job.attemptsStarted ?? job.attemptsMade + 1, token, job };
    return lease;
  }

  async heartbeat(lease: Lease, progress?: JobProgress): Promise<boolean> {
    const l = lease as BullLease;
    const ok = await this.call(() => l.job.extendLock(l.token, this.timing.leaseMs), 'renew a job lock');
    if (!ok) return false;
    if (progress) await this.call(() => l.job.updateProgress(progress), 'report progress');
    return true;
  }

  async complete(lease: Lease, result: unknown): Promise<void> {
    const l = lease as BullLease;
    await this.call(() => l.job.moveToCompleted(result, l.token, false), 'complete a job');
  }

  async fail(lease: Lease, error: Error): Promise<void> {
    const l = lease as BullLease;
    await this.call(() => l.job.moveToFailed(error, l.token, false), 'fail a job');
  }

  keeper(lease: Lease): KeeperSpec {
    const l = lease as BullLease;
    return { kind: 'bullmq', url: this.url, queue: this.name, id: l.id, token: l.token, leaseMs: this.timing.leaseMs };
  }

  async release(lease: Lease): Promise<void> {
    const l = lease as BullLease;
    await this.call(() => l.job.moveToWait(l.token), 'give a job back');
  }

  async get(id: string): Promise<JobInfo> {
    const job = await this.call(() => Job.fromId(this.queue, id), 'look up a job');
    if (!job) return { id, state: 'absent' };
    const raw = await job.getState();
    const state: JobState =
      raw === 'completed' || raw === 'failed' || raw === 'active' || raw === 'delayed' ? raw : raw === 'unknown' ? 'absent' : 'waiting';
    const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as JobProgress) : undefined;
    return {
      id,
      state,
      data: job.data as JobData,
      ...(state === 'completed' ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? { error: job.failedReason } : {}),
      ...(progress ? { progress } : {}),
    };
  }

  async counts(): Promise<JobCounts> {
    const c = await this.call(() => this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'), 'count jobs');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0 };
  }

  async close(): Promise<void> {
    await this.worker?.close(true).catch(() => {});
    await this.queue.close().catch(() => {});
    for (const r of this.connections) r.disconnect();
  }

  /** A Redis call; a connection failure becomes an IO error naming the URL. */
  private async call<T>(f: () => Promise<T>, action: string): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const m = (e as Error).message ?? String(e);
      if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|Connection is closed|EHOSTUNREACH/.test(m)) {
        throw new GraftError(ErrorCodes.IO, `could not ${action}: Redis at ${this.url} is not reachable (${m})`, { hint: 'Start redis-server there (see the README, "Experiments on several machines"), or check --redis' });
      }
      throw e;
    }
  }
}
