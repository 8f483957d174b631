/**
 * A worker killed with SIGKILL in the middle of a job, after the run's first checkpoint: the other
 * worker takes the job (the embedded queue sees the holder's process gone; BullMQ's stalled-job
 * checker sees its lock expire), takes over the run folder's lock, resumes from that checkpoint
 * (step > 0) and ends with the final metrics of an undisturbed run. On both queues.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selectBackend, silentLogger } from '../../core/index.ts';
import { JsonlMetricsLogger } from '../../plugins/loggers/index.ts';
import { configure, gptPretrainPreset, recipePreset, runPreset } from '../../presets/index.ts';
import { readRunLock } from '../../presets/runner/runLock.ts';
import { BullmqQueue } from '../../presets/sweep/bullmqQueue.ts';
import { FileQueue, planSweep, runSweep, type JobQueue } from '../../presets/sweep/index.ts';
import { graft, latestStep, resultOf, when, type Child } from '../faults/child.ts';
import { redisAvailable, redisGate, startRedis, type RedisServer } from './redisServer.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-sweep-kill-'));
let redis: RedisServer | undefined;
test.before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
test.after.always(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

// Long enough (checkpoints every 10 of 100 steps) for the kill to land mid-run even on a fast machine.
const SET = {
  'data.maxChars': '20000', 'model.nLayers': '1', 'model.dModel': '16', 'model.nHeads': '2', 'model.contextLength': '16', 'train.batchSize': '4',
  'train.maxSteps': '100', 'train.evalEvery': '0', 'train.checkpointEvery': '10', 'data.maxValidationBatches': '2', 'sample.maxTokens': '2',
};
const recipe = configure(gptPretrainPreset, { set: SET });
const LEASE_MS = 2000;

let reference: Promise<Record<string, unknown>> | undefined;
/** The same run, undisturbed, in this process (once for both tests). */
function undisturbed(): Promise<Record<string, unknown>> {
  reference ??= (async () => {
    await selectBackend({ prefer: 'wasm' });
    const out = path.join(tmp, 'reference');
    await runPreset(recipePreset(recipe), {}, 42, { outDir: out, logger: silentLogger(), extraPlugins: (d) => [new JsonlMetricsLogger({ file: path.join(d, 'metrics.jsonl') })] });
    return resultOf(path.join(out, 'pretrain', 'result.json'));
  })();
  return reference;
}

async function killMidJob(t: ExecutionContext, dir: string, queue: JobQueue, workerFlags: string[]): Promise<void> {
  const workers: Child[] = [0, 1].map(() => graft(['worker', '--dir', dir, '--wait', '--backend', 'wasm', '--lease-ms', String(LEASE_MS), ...workerFlags]));
  try {
    const points = planSweep({ recipe, seed: 42 });
    let settled = false;
    const sweep = runSweep({ recipe, dir, queue, pollMs: 100 }, points).finally(() => void (settled = true));
    const ck = path.join(dir, 'pretrain', 'checkpoints');
    t.true(await when(workers[0]!, dir, () => latestStep(ck) >= 10 || workers[1]!.done || settled), 'the job reached its first checkpoint');
    const holder = readRunLock(dir);
    const victim = workers.find((w) => w.proc.pid === holder?.pid);
    t.truthy(victim, `the run folder is locked by a worker (${JSON.stringify(holder)})`);
    const killedAt = latestStep(ck);
    victim!.proc.kill('SIGKILL');
    t.true(killedAt < 100, `killed mid-run (latest checkpoint ${killedAt})`);
    await sweep;
    const survivor = workers.find((w) => w !== victim)!;
    survivor.proc.kill('SIGTERM');
    const exit = await survivor.exited;
    t.regex(exit.stderr, /completed/, exit.stderr);
    const log = readFileSync(path.join(dir, 'log.jsonl'), 'utf8');
    const resumed = Number(/stage pretrain: resuming from step (\d+)/.exec(log)?.[1]);
    t.true(resumed >= 10, `resumed from step ${resumed}, not 0:\n${log}`);
    t.deepEqual(resultOf(path.join(dir, 'pretrain', 'result.json')), await undisturbed(), 'the final result and metrics of an undisturbed run');
    t.false(existsSync(path.join(dir, '.graft.lock')), 'the run folder is released');
  } finally {
    for (const w of workers) if (!w.done) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
  }
}

test.serial('embedded: a worker killed mid-job; the other resumes it from its checkpoint, same final metrics', async (t) => {
  const dir = path.join(tmp, 'embedded');
  const queue = new FileQueue(dir, { leaseMs: LEASE_MS, pollMs: 100 });
  await killMidJob(t, dir, queue, []);
});

test.serial('redis: a worker killed mid-job; its job stalls, the other resumes it from its checkpoint, same final metrics', async (t) => {
  if (!redisGate(t)) return;
  const dir = path.join(tmp, 'redis');
  const queue = new BullmqQueue(redis!.url, 'graft-kill-test', { leaseMs: LEASE_MS, pollMs: 100 });
  try {
    await killMidJob(t, dir, queue, ['--redis', redis!.url, '--queue', 'graft-kill-test']);
  } finally {
    await queue.close();
  }
});
