/**
 * The job queue's contract, checked on both implementations (the embedded file queue and BullMQ on
 * a real redis-server): submission by id without duplicates, one holder per job, heartbeat and
 * progress, a lease kept from a thread while the main thread is busy, completion, failures retried after an exponential backoff then failed for good (and
 * queued again on a new submission), a job whose holder stops renewing its lease taken by another
 * worker (the old holder learns it lost it), a job given back.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BullmqQueue } from '../../presets/sweep/bullmqQueue.ts';
import { FileQueue, keepLease, type JobQueue, type LeaseTiming } from '../../presets/sweep/index.ts';
import { redisAvailable, redisGate, startRedis, type RedisServer } from './redisServer.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-queue-'));
let redis: RedisServer | undefined;
test.before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
test.after.always(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const TIMING: Partial<LeaseTiming> = { leaseMs: 1000, pollMs: 50, maxStalls: 3 };
let n = 0;

type Make = () => JobQueue;
const kinds: [string, (t: ExecutionContext) => Make | undefined][] = [
  ['embedded', () => {
    const dir = path.join(tmp, `q${n++}`);
    return () => new FileQueue(dir, TIMING);
  }],
  ['bullmq', (t) => {
    if (!redisGate(t)) return undefined;
    const name = `graft-test-${process.pid}-${n++}`;
    return () => new BullmqQueue(redis!.url, name, TIMING);
  }],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(f: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined || Date.now() > end) return v;
    await sleep(50);
  }
}

for (const [kind, setup] of kinds) {
  const queues: JobQueue[] = [];
  test.after.always(async () => {
    for (const q of queues) await q.close();
  });
  const open = (make: Make) => {
    const q = make();
    queues.push(q);
    return q;
  };

  test(`${kind}: a job id submitted twice is one job, taken by one worker, completed with its result`, async (t) => {
    const make = setup(t);
    if (!make) return;
    const [a, b] = [open(make), open(make)];
    t.is(await a.add('job-1', { x: 1 }), 'added');
    t.is(await b.add('job-1', { x: 2 }), 'exists');
    t.deepEqual(await a.counts(), { waiting: 1, delayed: 0, active: 0, completed: 0, failed: 0 });
    const lease = await a.take('A');
    t.truthy(lease);
    t.deepEqual(lease!.data, { x: 1 }, 'the first submission is the job');
    t.is(await b.take('B'), undefined, 'a taken job is not taken again');
    t.true(await a.heartbeat(lease!, { stage: 's', step: 3, loss: 1.5 }));
    t.deepEqual((await b.get('job-1')).progress, { stage: 's', step: 3, loss: 1.5 });
    t.is((await b.get('job-1')).state, 'active');
    await a.complete(lease!, { f1: 0.5 });
    const info = await b.get('job-1');
    t.is(info.state, 'completed');
    t.deepEqual(info.result, { f1: 0.5 });
    t.is(await b.add('job-1', { x: 1 }), 'exists', 'a finished job is not submitted again');
    t.is(await b.take('B'), undefined);
    t.deepEqual(await b.counts(), { waiting: 0, delayed: 0, active: 0, completed: 1, failed: 0 });
    t.is((await a.get('job-2')).state, 'absent');
  });

  test(`${kind}: a failure is retried after its backoff, then failed for good; a new submission queues it again`, async (t) => {
    const make = setup(t);
    if (!make) return;
    const q = open(make);
    await q.add('job-f', { y: 1 }, { attempts: 2, backoffMs: 600 });
    const first = await q.take('A');
    await q.fail(first!, new Error('boom 1'));
    t.is((await q.get('job-f')).state, 'delayed');
    t.is(await q.take('A'), undefined, 'not before its backoff');
    const t0 = Date.now();
    const second = await eventually(() => q.take('A'), 5000);
    t.truthy(second, 'taken again after the backoff');
    t.true(Date.now() - t0 >= 300, `after the backoff (${Date.now() - t0} ms)`);
    await q.fail(second!, new Error('boom 2'));
    const info = await q.get('job-f');
    t.is(info.state, 'failed');
    t.regex(info.error ?? '', /boom 2/);
    t.is(await q.take('A'), undefined);
    t.is(await q.add('job-f', { y: 1 }), 'retried');
    t.truthy(await eventually(() => q.take('A'), 3000), 'queued again');
  });

  test(`${kind}: a holder that stops renewing its lease loses the job to another worker; a job given back is taken again`, async (t) => {
    const make = setup(t);
    if (!make) return;
    const [a, b] = [open(make), open(make)];
    await a.add('job-s', { z: 1 });
    const dead = await a.take('A');
    t.truthy(dead);
    await b.take('B'); // B's first look (BullMQ: starts its stalled-job checker)
    // B's renewal must succeed whenever it comes within a lease of B's take. On a loaded machine this
    // process can be descheduled for longer than a lease (1 s) between the two (seen once in CI);
    // then B has rightly lost the job too, and takes it again once it is stalled.
    let taken: Awaited<ReturnType<JobQueue['take']>>;
    for (let attempt = 1; ; attempt++) {
      let started = 0;
      taken = await eventually(() => ((started = Date.now()), b.take('B')), 8000);
      t.truthy(taken, 'taken over after the lease expired');
      t.is(taken!.id, 'job-s');
      t.false(await a.heartbeat(dead!), 'the old holder learns it lost the job');
      if (await b.heartbeat(taken!)) break;
      const since = Date.now() - started;
      // (ava's assertions do not throw: each failure ends the test here itself.)
      if (since <= TIMING.leaseMs!) return t.fail(`renewed ${since} ms after the take, within a ${TIMING.leaseMs} ms lease, and refused`);
      if (attempt === 3) return t.fail('three takes in a row outlived their lease');
      t.log(`renewed ${since} ms after the take (the process was paused for longer than a lease): taking it again`);
    }
    // A holder whose main thread is busy for longer than a lease keeps it: a thread of its own renews it.
    let lostWhileKept = false;
    const keeper = keepLease(b.keeper(taken!), 200, () => void (lostWhileKept = true));
    let up = false;
    void keeper.ready.then(() => (up = true));
    // Until the thread has started (and loaded BullMQ), this thread's heartbeat holds the lease, as the worker's does.
    while (!up) {
      await b.heartbeat(taken!);
      await sleep(100);
    }
    const until = Date.now() + 1500;
    while (Date.now() < until); // blocks this thread: no timer, no heartbeat here
    t.is(await a.take('A'), undefined, 'not stalled while its keeper renews it');
    await keeper.stop();
    t.false(lostWhileKept, 'the keeper kept the lease');
    await b.release(taken!);
    const again = await eventually(() => a.take('A'), 3000);
    t.is(again?.id, 'job-s', 'given back: taken again');
    await a.complete(again!, 'ok');
    t.is((await b.get('job-s')).state, 'completed');
  });
}
