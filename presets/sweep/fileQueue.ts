import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive, thisHost } from '../../core/checkpoint/processAlive.ts';
import { ioError } from '../../core/errors/index.ts';
import { writeJsonAtomic } from '../runner/writeAtomic.ts';
import type { KeeperSpec } from './leaseKeeper.ts';
import {
  backoffMs,
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

/** The embedded queue's folder in a sweep's shared directory. */
export const FILE_QUEUE_DIR = '.graft-queue';

interface JobFile {
  id: string;
  data: JobData;
  retry: RetryPolicy;
  /** Submission order (ms since epoch, then a counter), so jobs are taken first in, first out. */
  added: number;
  seq: number;
}

/** Who holds take `n` of a job; the file's mtime is the last heartbeat. */
interface LeaseFile {
  worker: string;
  host: string;
  pid: number;
  token: string;
  taken: string;
}

/** How take `n` ended without completing: a failed attempt, or given back by a stopping worker. */
interface EndFile {
  outcome: 'failed' | 'released';
  error?: string;
  at: number;
}

interface FileLease extends Lease {
  readonly token: string;
}

/**
 * The embedded queue: no server, a folder of small files in the shared directory. Each job is a
 * folder `<dir>/<id>/` holding `job.json` (created once: a second submission finds it), take files
 * `take-<n>.json` created exclusively (a hard link, which fails if the name exists: of two workers
 * only one gets take n), renewed by touching them (the heartbeat), and the outcome: `done.json`
 * (result), `failed.json` (for good), `end-<n>.json` (a failed attempt to retry after its backoff,
 * or a take given back). A take not renewed for `leaseMs`, or whose process is gone on this machine,
 * is stalled: the next worker creates take n+1, and the old holder sees on its next heartbeat that it
 * lost the job. Every write is a rename or an exclusive create, so N processes on one machine share
 * it safely; on a network file system it holds where hard links and renames are atomic (NFSv3+,
 * CephFS, Lustre) and the machines' clocks agree to well within `leaseMs`.
 */
export class FileQueue implements JobQueue {
  readonly kind = 'embedded';
  readonly dir: string;
  private readonly timing: LeaseTiming;
  private readonly jobs = new Map<string, JobFile>();
  private seq = 0;

  constructor(sharedDir: string, timing: Partial<LeaseTiming> = {}) {
    this.dir = path.join(path.resolve(sharedDir), FILE_QUEUE_DIR);
    this.timing = { ...DEFAULT_TIMING, ...timing };
    mkdirSync(this.dir, { recursive: true });
  }

  async add(id: string, data: JobData, retry: RetryPolicy = DEFAULT_RETRY): Promise<AddOutcome> {
    const jobDir = path.join(this.dir, id);
    mkdirSync(jobDir, { recursive: true });
    const job: JobFile = { id, data, retry, added: Date.now(), seq: this.seq++ };
    if (createExclusive(path.join(jobDir, 'job.json'), job)) return 'added';
    if (this.scan(id).state === 'failed') {
      // Queued again with fresh attempts: the old takes' records are moved aside, not deleted (they tell what happened).
      const stamp = Date.now().toString(36);
      const old = path.join(jobDir, `history-${stamp}`);
      mkdirSync(old, { recursive: true });
      for (const f of readdirSync(jobDir)) {
        if (/^(take-\d+|end-\d+|failed)\.json$/.test(f)) renameInto(path.join(jobDir, f), path.join(old, f));
      }
      return 'retried';
    }
    return 'exists';
  }

  async take(worker: string): Promise<Lease | undefined> {
    for (const job of this.listJobs()) {
      const s = this.scan(job.id);
      if (s.state !== 'waiting' && s.state !== 'stalled') continue;
      if (s.state === 'stalled' && s.stalls + 1 > this.timing.maxStalls) {
        createExclusive(path.join(this.dir, job.id, 'failed.json'), { error: `stalled ${s.stalls + 1} times (its worker died or stopped renewing its lease each time)`, at: Date.now() });
        continue;
      }
      const token = randomBytes(8).toString('hex');
      const mine: LeaseFile = { worker, host: thisHost(), pid: process.pid, token, taken: new Date().toISOString() };
      if (createExclusive(this.takeFile(job.id, s.takes + 1), mine)) {
        const lease: FileLease = { id: job.id, data: job.data, take: s.takes + 1, token };
        return lease;
      }
    }
    return undefined;
  }

  async heartbeat(lease: Lease, progress?: JobProgress): Promise<boolean> {
    if (!this.holds(lease)) return false;
    const now = new Date();
    try {
      utimesSync(this.takeFile(lease.id, lease.take), now, now);
    } catch (e) {
      throw ioError(e, { action: 'renew a job lease', file: this.takeFile(lease.id, lease.take) });
    }
    if (progress) writeJsonAtomic(path.join(this.dir, lease.id, 'progress.json'), progress);
    return true;
  }

  async complete(lease: Lease, result: unknown): Promise<void> {
    // A holder that lost its lease may still finish (a slow, not dead, worker): the first result stands,
    // and both are the same run resumed from the same checkpoints.
    createExclusive(path.join(this.dir, lease.id, 'done.json'), { result, take: lease.take, at: Date.now() });
  }

  async fail(lease: Lease, error: Error): Promise<void> {
    if (!this.holds(lease)) return;
    const job = this.jobFile(lease.id);
    const failures = this.scan(lease.id).failures + 1;
    if (failures >= job.retry.attempts) {
      createExclusive(path.join(this.dir, lease.id, 'failed.json'), { error: error.message, attempts: failures, at: Date.now() });
    }
    createExclusive(this.endFile(lease.id, lease.take), { outcome: 'failed', error: error.message, at: Date.now() } satisfies EndFile);
  }

  keeper(lease: Lease): KeeperSpec {
    return { kind: 'file', file: this.takeFile(lease.id, lease.take), next: this.takeFile(lease.id, lease.take + 1), token: (lease as FileLease).token };
  }

  async release(lease: Lease): Promise<void> {
    if (!this.holds(lease)) return;
    createExclusive(this.endFile(lease.id, lease.take), { outcome: 'released', at: Date.now() } satisfies EndFile);
  }

  async get(id: string): Promise<JobInfo> {
    if (!existsSync(path.join(this.dir, id, 'job.json'))) return { id, state: 'absent' };
    const s = this.scan(id);
    const progress = readJson<JobProgress>(path.join(this.dir, id, 'progress.json'));
    const done = readJson<{ result: unknown }>(path.join(this.dir, id, 'done.json'));
    return {
      id,
      state: publicState(s.state),
      data: this.jobFile(id).data,
      ...(done ? { result: done.result } : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
      ...(progress ? { progress } : {}),
    };
  }

  async counts(): Promise<JobCounts> {
    const c: JobCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const job of this.listJobs()) c[publicState(this.scan(job.id).state) as keyof JobCounts]++;
    return c;
  }

  async close(): Promise<void> {}

  private takeFile(id: string, n: number): string {
    return path.join(this.dir, id, `take-${n}.json`);
  }

  private endFile(id: string, n: number): string {
    return path.join(this.dir, id, `end-${n}.json`);
  }

  private jobFile(id: string): JobFile {
    let j = this.jobs.get(id);
    if (!j) {
      j = readJson<JobFile>(path.join(this.dir, id, 'job.json'));
      if (!j) throw ioError(new Error('missing or unreadable'), { action: 'read a queued job', file: path.join(this.dir, id, 'job.json') });
      this.jobs.set(id, j);
    }
    return j;
  }

  /** Jobs in submission order; a folder whose job.json is not written yet is skipped. */
  private listJobs(): JobFile[] {
    let ids: string[];
    try {
      ids = readdirSync(this.dir);
    } catch (e) {
      throw ioError(e, { action: 'list the job queue', file: this.dir });
    }
    const out: JobFile[] = [];
    for (const id of ids) {
      try {
        out.push(this.jobFile(id));
      } catch {
        // being created
      }
    }
    return out.sort((a, b) => a.added - b.added || a.seq - b.seq || a.id.localeCompare(b.id));
  }

  /** Whether `lease` is still the job's newest take, not ended and the job not finished. */
  private holds(lease: Lease): boolean {
    const s = this.scan(lease.id);
    const token = (lease as FileLease).token;
    return s.takes === lease.take && s.state === 'active' && readJson<LeaseFile>(this.takeFile(lease.id, lease.take))?.token === token;
  }

  /** The job's state from its files. */
  private scan(id: string): { state: JobState | 'stalled'; takes: number; failures: number; stalls: number; error?: string } {
    const jobDir = path.join(this.dir, id);
    const files = readdirSync(jobDir);
    const nums = (re: RegExp) => files.flatMap((f) => (re.exec(f) ? [Number(re.exec(f)![1])] : []));
    const takes = Math.max(0, ...nums(/^take-(\d+)\.json$/));
    const ends = new Map(nums(/^end-(\d+)\.json$/).map((n) => [n, readJson<EndFile>(this.endFile(id, n))]));
    const failedEnds = [...ends.values()].filter((e) => e?.outcome === 'failed');
    const failures = failedEnds.length;
    // A take with no end file that is not the newest was stalled (its holder died or stopped renewing).
    let stalls = 0;
    for (let n = 1; n < takes; n++) if (!ends.has(n)) stalls++;
    const lastError = failedEnds.sort((a, b) => a!.at - b!.at).at(-1)?.error;
    const base = { takes, failures, stalls, ...(lastError !== undefined ? { error: lastError } : {}) };
    if (files.includes('done.json')) return { ...base, state: 'completed' };
    if (files.includes('failed.json')) return { ...base, state: 'failed', error: readJson<{ error: string }>(path.join(jobDir, 'failed.json'))?.error ?? lastError };
    if (takes === 0) return { ...base, state: 'waiting' };
    const end = ends.get(takes);
    if (end !== undefined) {
      if (end?.outcome !== 'failed') return { ...base, state: 'waiting' };
      const due = end.at + backoffMs(this.jobFile(id).retry, failures);
      return { ...base, state: Date.now() >= due ? 'waiting' : 'delayed' };
    }
    return { ...base, state: this.expired(this.takeFile(id, takes)) ? 'stalled' : 'active' };
  }

  /** A take whose holder stopped renewing it, or whose process is gone from this machine. */
  private expired(file: string): boolean {
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
    } catch {
      return false; // being created
    }
    const holder = readJson<LeaseFile>(file);
    if (holder && holder.host === thisHost() && !isProcessAlive(holder.pid)) return true;
    return Date.now() - mtime > this.timing.leaseMs;
  }
}

function publicState(s: JobState | 'stalled'): JobState {
  // A stalled job is waiting for the next worker.
  return s === 'stalled' ? 'waiting' : s;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Create `file` holding `value`, whole or not at all; false when it exists (another process was first). */
function createExclusive(file: string, value: unknown): boolean {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, JSON.stringify(value) + '\n', { flag: 'wx' });
  } catch (e) {
    throw ioError(e, { action: 'write a queue file', file: tmp });
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(e, { action: 'create a queue file', file });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // gone
    }
  }
}

function renameInto(from: string, to: string): void {
  try {
    linkSync(from, to);
    unlinkSync(from);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, { action: 'move a queue file', file: from });
  }
}
