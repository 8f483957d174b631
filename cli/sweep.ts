import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clip, ErrorCodes, formatSeconds, GraftError } from '../core/index.ts';
import { parseSets, parseUses } from '../presets/recipe/index.ts';
import { JobFailedError, openQueue, parseGrid, planSweep, runSweep } from '../presets/sweep/index.ts';
import { intFlag, MAX_SEED, type ParsedArgs } from './args.ts';
import type { Io } from './main.ts';
import { configureFromArgs, resolveTarget } from './target.ts';
import { leaseFlag, SWEEP_PARENT_ENV } from './worker.ts';

/** `--seeds 1,2,3`: distinct 32-bit seeds. */
function seedsFlag(args: ParsedArgs): number[] | undefined {
  const v = args.flags.seeds;
  if (v === undefined) return undefined;
  const seeds = String(v).split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (seeds.some((s) => !Number.isSafeInteger(s) || s < 0 || s > MAX_SEED)) throw new GraftError(ErrorCodes.USAGE, '--seeds takes seeds separated by commas', { received: v, expected: `integers from 0 to ${MAX_SEED}, e.g. 1,2,3` });
  return seeds;
}

/** The CLI's entry file (main.ts under tsx, main.js in the package), which local workers run. */
function cliEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const file = path.join(path.dirname(here), `main${path.extname(here)}`);
  const execArgv = [...process.execArgv];
  if (file.endsWith('.ts') && !execArgv.some((a) => a.includes('tsx'))) execArgv.push('--import=tsx');
  return { file, execArgv };
}

/**
 * `graft sweep <preset|recipe> [--grid key=v1,v2 ...] [--seeds 1,2] [--set ...] [--use ...] --out DIR
 * [--workers N] [--redis URL]`: a grid of runs (or an experiment's cells) as jobs; see
 * presets/sweep/README.md. Without --redis, N local workers (default 1) on the embedded queue in DIR;
 * with --redis, the jobs go to BullMQ and --workers N (default 0) also starts N workers here.
 */
export async function sweepCommand(args: ParsedArgs, io: Io, backend: string | undefined): Promise<number> {
  const out = args.flags.out;
  if (typeof out !== 'string') throw new GraftError(ErrorCodes.USAGE, '"graft sweep" needs --out DIR: the shared directory of the run folders (and of the embedded queue)');
  const shared = path.resolve(out);
  if (existsSync(shared) && !statSync(shared).isDirectory()) throw new GraftError(ErrorCodes.USAGE, 'the sweep directory (--out) is a file, not a folder', { file: shared });
  const redis = typeof args.flags.redis === 'string' ? args.flags.redis : undefined;
  const workers = intFlag(args.flags, 'workers', redis ? 0 : 1, 64);
  if (!redis && workers === 0) throw new GraftError(ErrorCodes.USAGE, '--workers 0 needs --redis (without it, nothing else would run the jobs)', { hint: 'Or start "graft worker --dir DIR" yourself and give --workers 1 or more' });
  const attempts = intFlag(args.flags, 'attempts', 2, 100);
  if (attempts < 1) throw new GraftError(ErrorCodes.USAGE, '--attempts must be at least 1');
  const timing = leaseFlag(args);
  const target = await resolveTarget(args);
  if (target.kind !== 'recipe') throw new GraftError(ErrorCodes.USAGE, `graft sweep runs recipes; preset ${clip(String(args.positional[0]))} builds its stages in code`);
  const recipe = configureFromArgs(target, args);
  const grid = parseGrid(args.lists?.grid ?? []);
  const seeds = seedsFlag(args);
  if (seeds && args.flags.seed !== undefined) throw new GraftError(ErrorCodes.USAGE, 'give --seed (every run) or --seeds (one run per seed), not both');
  const seed = intFlag(args.flags, 'seed', target.seed ?? 42, MAX_SEED);
  // Every point configured and checked before anything is queued or started.
  const points = planSweep({ recipe, grid, ...(seeds ? { seeds } : {}), seed }, [...Object.keys(parseSets(args.sets)), ...Object.keys(parseUses(args.uses))], (w) => io.err(`graft: warning: ${w}`));
  const queue = await openQueue({ dir: shared, ...(redis ? { redis } : {}), ...(typeof args.flags.queue === 'string' ? { name: args.flags.queue } : {}), timing });
  io.err(`graft: sweep of ${points.length} run${points.length === 1 ? '' : 's'}${recipe.experiment ? ` of experiment ${recipe.experiment.experiment.name} (its cells are the jobs)` : ''} on ${redis ? `Redis ${redis}` : 'the embedded queue'}, ${workers} local worker${workers === 1 ? '' : 's'}; shared directory ${shared}`);
  const children: ChildProcess[] = [];
  let exited = 0;
  const entry = cliEntry();
  const workerArgs = ['worker', '--dir', shared, '--wait', ...(redis ? ['--redis', redis] : []), ...(typeof args.flags.queue === 'string' ? ['--queue', args.flags.queue] : []), ...(backend ? ['--backend', backend] : []), ...(timing.leaseMs ? ['--lease-ms', String(timing.leaseMs)] : [])];
  let noWorkers: (e: Error) => void = () => {};
  const allGone = new Promise<never>((_, reject) => (noWorkers = reject));
  allGone.catch(() => {});
  for (let i = 0; i < workers; i++) {
    const child = spawn(process.execPath, [...entry.execArgv, entry.file, ...workerArgs], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, [SWEEP_PARENT_ENV]: String(process.pid) } });
    child.stderr!.setEncoding('utf8');
    let partial = '';
    child.stderr!.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.trim()) io.err(`[worker ${i + 1}] ${l}`);
    });
    child.on('exit', (code, signal) => {
      exited++;
      if (!stopping && code !== 0 && code !== 130 && code !== 143) io.err(`graft: local worker ${i + 1} (pid ${child.pid}) exited ${signal ?? code}`);
      if (exited === workers && !redis) noWorkers(new GraftError(ErrorCodes.IO, 'every local worker exited before the sweep finished', { hint: 'See the workers\' messages above' }));
    });
    children.push(child);
  }
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => () => {
    io.err(`graft: ${signal}: stopping the local workers (each saves its job and gives it back); the same command resumes the sweep`);
    stopAll(signal);
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    setTimeout(() => process.exit(), 30_000).unref();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  for (const [s, h] of Object.entries(handlers)) process.on(s, h);
  const started = Date.now();
  try {
    const summary = await Promise.race([runSweep({ recipe, grid, ...(seeds ? { seeds } : {}), seed, dir: shared, queue, retry: { attempts, backoffMs: 1000 }, log: (m) => io.err(`graft: ${m}`) }, points), allGone]);
    io.out(readFileSync(summary.report.md, 'utf8').trimEnd());
    if (summary.experiment) io.out(JSON.stringify(summary.experiment, null, 2));
    io.err(`graft: sweep done in ${formatSeconds((Date.now() - started) / 1000)}; report ${summary.report.md}, ${summary.report.json}, ${summary.report.html}`);
    return 0;
  } catch (e) {
    if (e instanceof JobFailedError) {
      io.err(`graft: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    for (const [s, h] of Object.entries(handlers)) process.off(s, h);
    stopAll('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    await queue.close();
  }
}
