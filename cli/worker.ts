import { hostname } from 'node:os';
import path from 'node:path';
import { clip, ErrorCodes, GraftError, selectBackend } from '../core/index.ts';
import { Interruption, SIGNAL_EXIT_CODES, type StopSignal } from '../presets/runner/interrupt.ts';
import { openQueue, runSweepJob, workLoop } from '../presets/sweep/index.ts';
import { isProcessAlive } from '../core/checkpoint/processAlive.ts';
import { intFlag, type ParsedArgs } from './args.ts';
import type { Io } from './main.ts';

/** Set by graft sweep for the workers it starts: its pid. */
export const SWEEP_PARENT_ENV = 'GRAFT_SWEEP_PARENT';

/** `--lease-ms`: how long a job stays taken without a heartbeat (default: the queue's, 30 s). */
export function leaseFlag(args: ParsedArgs): { leaseMs?: number } {
  if (args.flags['lease-ms'] === undefined) return {};
  const ms = intFlag(args.flags, 'lease-ms', 0);
  if (ms < 500) throw new GraftError(ErrorCodes.USAGE, '--lease-ms must be at least 500', { received: args.flags['lease-ms'] });
  return { leaseMs: ms };
}

/**
 * `graft worker --dir DIR [--redis URL] [--queue NAME] [--wait]`: take jobs of the sweep whose shared
 * directory is DIR (the embedded queue in it, or BullMQ on --redis) and run them until the queue is
 * drained (--wait: until SIGINT/SIGTERM). SIGINT/SIGTERM: the job in progress saves a checkpoint at
 * the end of its step and goes back to the queue (another worker resumes it); exit 130/143.
 */
export async function workerCommand(args: ParsedArgs, io: Io, backend: string | undefined): Promise<number> {
  if (args.positional.length) throw new GraftError(ErrorCodes.USAGE, `unexpected argument "${clip(args.positional[0]!)}"`, { hint: 'graft worker --dir DIR [--redis URL]' });
  const dir = args.flags.dir;
  if (typeof dir !== 'string') throw new GraftError(ErrorCodes.USAGE, '"graft worker" needs --dir DIR (the sweep\'s shared directory, its --out)');
  const sharedDir = path.resolve(dir);
  const timing = leaseFlag(args);
  const info = await selectBackend({ prefer: backend as never });
  const queue = await openQueue({ dir: sharedDir, ...(typeof args.flags.redis === 'string' ? { redis: args.flags.redis } : {}), ...(typeof args.flags.queue === 'string' ? { name: args.flags.queue } : {}), timing });
  const name = `${hostname()}:${process.pid}`;
  io.err(`graft: worker ${name} on ${queue.kind === 'bullmq' ? `Redis ${String(args.flags.redis)}` : 'the embedded queue'}; backend ${info.name}; shared directory ${sharedDir}`);
  const stop = new Interruption();
  const onSignal = (signal: StopSignal) => () => {
    if (stop.requested) process.exit(SIGNAL_EXIT_CODES[signal]);
    stop.request(signal);
    io.err(`graft: worker ${name}: ${signal}: saving the job in progress and giving it back to the queue`);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  for (const [s, h] of Object.entries(handlers)) process.on(s, h);
  // Started by graft sweep: stop (saving the job, giving it back) if that process dies without stopping us.
  const parent = Number(process.env[SWEEP_PARENT_ENV]);
  const watch = parent > 0 ? setInterval(() => !isProcessAlive(parent) && !stop.requested && (stop.request('SIGTERM'), io.err(`graft: worker ${name}: graft sweep (pid ${parent}) is gone; stopping`)), 1000) : undefined;
  watch?.unref();
  try {
    const log = (m: string) => io.err(`graft: worker ${name}: ${m}`);
    const summary = await workLoop(queue, (ctx) => runSweepJob(ctx, { sharedDir, log }), { name, wait: args.flags.wait === true, timing, stop, log });
    io.err(`graft: worker ${name}: ${summary.completed} completed, ${summary.failed} failed attempts, ${summary.released} given back`);
    return stop.signal ? SIGNAL_EXIT_CODES[stop.signal] : 0;
  } finally {
    clearInterval(watch);
    for (const [s, h] of Object.entries(handlers)) process.off(s, h);
    await queue.close();
  }
}
