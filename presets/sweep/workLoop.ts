import { ErrorCodes, GraftError } from '../../core/errors/index.ts';
import { Interruption, InterruptedError } from '../runner/interrupt.ts';
import { keepLease } from './leaseKeeper.ts';
import { DEFAULT_TIMING, drained, type JobProgress, type JobQueue, type Lease, type LeaseTiming } from './jobQueue.ts';

/** What a job handler gets: its lease, a progress reporter, and the request to stop (signal or lost lease). */
export interface JobContext {
  lease: Lease;
  progress(p: JobProgress): void;
  interrupt: Interruption;
}

export type JobHandler = (ctx: JobContext) => Promise<unknown>;

export interface WorkLoopOptions {
  /** This worker's name (host:pid), recorded with each take. */
  name: string;
  /** Keep waiting for new jobs when the queue is drained (until `stop`); default: return then. */
  wait?: boolean;
  timing?: Partial<LeaseTiming>;
  /** Requested (SIGINT/SIGTERM): the job in progress saves and is given back; no new job is taken. */
  stop?: Interruption;
  log?: (message: string) => void;
}

export interface WorkLoopSummary {
  completed: number;
  failed: number;
  /** Jobs given back (stopped) or lost (the lease went to another worker). */
  released: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Take jobs and run them until the queue is drained (nothing waiting, delayed or running: a
 * running job may still stall and need this worker) or, with `wait`, until `stop`. While a job
 * runs, its lease is renewed every third of `leaseMs` with the latest progress; a lost lease (the
 * job was found stalled and went to another worker) stops the run at the next step without
 * completing it. A job that throws is failed (and retried by the queue); one stopped by `stop` is
 * given back.
 */
export async function workLoop(queue: JobQueue, handler: JobHandler, opts: WorkLoopOptions): Promise<WorkLoopSummary> {
  const timing = { ...DEFAULT_TIMING, ...opts.timing };
  const log = opts.log ?? (() => {});
  const summary: WorkLoopSummary = { completed: 0, failed: 0, released: 0 };
  while (!opts.stop?.requested) {
    const lease = await queue.take(opts.name);
    if (!lease) {
      if (!opts.wait && drained(await queue.counts())) break;
      await sleep(timing.pollMs);
      continue;
    }
    log(`job ${lease.id}: taken (take ${lease.take})`);
    const interrupt = new Interruption();
    let lost = false;
    let latest: JobProgress | undefined;
    let beat: Promise<unknown> = Promise.resolve();
    const renew = () => {
      beat = beat.then(async () => {
        if (lost) return;
        try {
          if (!(await queue.heartbeat(lease, latest))) {
            lost = true;
            interrupt.request('SIGTERM');
            log(`job ${lease.id}: lease lost (taken as stalled by another worker); stopping it`);
          }
        } catch (e) {
          log(`job ${lease.id}: heartbeat failed: ${(e as Error).message}`);
        }
      });
    };
    // Liveness from a thread of its own (the main thread may be busy for longer than a lease);
    // the main thread's heartbeat carries the progress.
    const keeper = keepLease(queue.keeper(lease), Math.max(50, Math.floor(timing.leaseMs / 3)), () => {
      if (lost) return;
      lost = true;
      interrupt.request('SIGTERM');
      log(`job ${lease.id}: lease lost (taken as stalled by another worker); stopping it`);
    });
    const timer = setInterval(renew, Math.max(50, Math.floor(timing.leaseMs / 3)));
    const onStop = setInterval(() => opts.stop?.signal && interrupt.request(opts.stop.signal), 100);
    try {
      const result = await handler({ lease, progress: (p) => void (latest = p), interrupt });
      clearInterval(timer);
      await keeper.stop();
      await beat;
      await queue.complete(lease, result ?? null);
      summary.completed++;
      log(`job ${lease.id}: completed`);
    } catch (e) {
      clearInterval(timer);
      await beat;
      await keeper.stop();
      if (lost) {
        summary.released++;
        log(`job ${lease.id}: left to the worker that took it over (${(e as Error)?.message ?? String(e)})`);
      } else if (e instanceof GraftError && e.code === ErrorCodes.LOCKED) {
        // The run folder is still locked by the job's previous holder on this machine, alive but past
        // its lease (it stops at its next step): not this job's failure. Given back, looked at again later.
        await queue.release(lease);
        summary.released++;
        log(`job ${lease.id}: its run folder is still held by its previous worker; given back (${e.message})`);
        await sleep(Math.floor(timing.leaseMs / 3));
      } else if (e instanceof InterruptedError && opts.stop?.requested) {
        await queue.release(lease);
        summary.released++;
        log(`job ${lease.id}: stopped and given back to the queue (${e.message})`);
      } else {
        await queue.fail(lease, e instanceof Error ? e : new Error(String(e)));
        summary.failed++;
        log(`job ${lease.id}: failed: ${(e as Error)?.message ?? String(e)}`);
      }
    } finally {
      clearInterval(timer);
      clearInterval(onStop);
      await keeper.stop();
    }
  }
  return summary;
}
