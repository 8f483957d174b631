/**
 * Fault injection on the command line: a tiny GPT run killed (SIGKILL, at random moments and
 * inside a checkpoint write), stopped (SIGINT, SIGTERM, a second SIGINT), then run again with the
 * same command or `graft resume`, ends with exactly the metrics, metrics.jsonl records, result and
 * checkpoints of a run that was never interrupted.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { entries, graft, latestStep, metricsRecords, random, resultOf, sleep, when, type Child, type Exit } from './child.ts';

const STEPS = 60;
const SETS = [
  'data.maxChars=30000', 'model.nLayers=1', 'model.dModel=32', 'model.nHeads=2', 'model.contextLength=32', 'train.batchSize=4',
  `train.maxSteps=${STEPS}`, 'train.evalEvery=6', 'train.checkpointEvery=4', 'sample.maxTokens=10', 'data.maxValidationBatches=2',
].flatMap((s) => ['--set', s]);
const runArgs = (out: string) => ['run', 'gpt-next-token-pretrain', ...SETS, '--out', out];

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-faults-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

interface Outputs {
  metrics: Record<string, unknown>[];
  result: Record<string, unknown>;
  checkpoints: string[];
  best: unknown;
}

function outputsOf(out: string): Outputs {
  const stage = path.join(out, 'pretrain');
  const best = JSON.parse(readFileSync(path.join(stage, 'checkpoints/best/manifest.json'), 'utf8'));
  return {
    metrics: metricsRecords(path.join(stage, 'metrics.jsonl')),
    result: resultOf(path.join(stage, 'result.json')),
    checkpoints: entries(path.join(stage, 'checkpoints')).sort(),
    best: { step: best.state.step, metrics: best.state.metrics, periodic: best.plugins['checkpoint:periodic'].state },
  };
}

// Started at once, alongside the interrupted runs; awaited where it is compared with.
const referenceRun: Promise<Outputs | Error> = graft(runArgs(path.join(tmp, 'reference'))).exited.then((exit) =>
  exit.code === 0 ? outputsOf(path.join(tmp, 'reference')) : new Error(`the reference run failed: ${exit.stderr}`),
);

async function sameAsReference(t: import('ava').ExecutionContext, out: string): Promise<void> {
  const reference = await referenceRun;
  if (reference instanceof Error) throw reference;
  const got = outputsOf(out);
  t.is(got.metrics.length, reference.metrics.length, 'metrics.jsonl records');
  t.deepEqual(got.metrics, reference.metrics, 'metrics.jsonl equals the uninterrupted run (time aside)');
  t.deepEqual(got.result, reference.result, 'result.json equals the uninterrupted run (seconds aside)');
  t.deepEqual(got.checkpoints, reference.checkpoints, 'no orphan step folders or temporary copies');
  t.deepEqual(got.best, reference.best, 'checkpoints/best is the best of the whole run');
}

const stageOf = (out: string) => path.join(out, 'pretrain');
const ckOf = (out: string) => path.join(out, 'pretrain', 'checkpoints');

test('SIGKILL at random moments, inside a checkpoint write, and a second SIGINT; the same command then ends as an uninterrupted run', async (t) => {
  const seed = Date.now() % 1_000_000;
  t.log(`random seed ${seed}`);
  const rnd = random(seed);
  const out = path.join(tmp, 'killed');
  const ck = ckOf(out);
  type Fault = { what: string; strike: (c: Child, from: number) => Promise<boolean> };
  const progressed = (c: Child, from: number) => when(c, out, () => latestStep(ck) > from);
  const faults: Fault[] = [
    {
      what: 'SIGKILL inside a step checkpoint write (a .tmp- folder exists)',
      strike: async (c) => (await when(c, out, () => entries(ck).some((e) => e.startsWith('step-') && e.includes('.tmp-')))) && c.proc.kill('SIGKILL'),
    },
    {
      what: 'SIGINT twice: the second exits at once',
      strike: async (c, from) => (await progressed(c, from)) && c.proc.kill('SIGINT') && c.proc.kill('SIGINT'),
    },
    {
      what: 'SIGKILL at a random moment',
      strike: async (c, from) => {
        if (!(await progressed(c, from))) return false;
        await sleep(rnd() * 250);
        return c.proc.kill('SIGKILL');
      },
    },
    {
      what: 'SIGKILL inside the final checkpoint write, after training',
      strike: async (c) => (await when(c, out, () => entries(stageOf(out)).some((e) => e.startsWith('checkpoint.tmp-')))) && c.proc.kill('SIGKILL'),
    },
  ];
  const exits: Exit[] = [];
  let hits = 0;
  for (const f of faults) {
    if (existsSync(path.join(stageOf(out), 'result.json'))) break;
    const from = latestStep(ck);
    const c = graft(runArgs(out));
    const struck = await f.strike(c, from);
    const exit = await c.exited;
    exits.push(exit);
    const stopped = exit.signal === 'SIGKILL' || exit.code === 130;
    if (struck && stopped) hits++;
    t.log(`${f.what}: ${stopped ? `stopped (${exit.signal ?? exit.code}), latest step ${latestStep(ck)}, left ${entries(ck).filter((e) => e.includes('.tmp-')).join(', ') || 'no temporary folder'}` : `missed (exit ${exit.code})`}`);
    t.false(existsSync(path.join(stageOf(out), 'result.json')) && stopped, 'a stopped stage is not marked complete');
  }
  t.true(hits >= 2, `${hits} of ${faults.length} faults hit a running process`);
  const last = await graft(runArgs(out)).exited;
  t.is(last.code, 0, last.stderr);
  // Some attempt continued from a checkpoint rather than from step 0.
  t.regex([...exits, last].map((e) => e.stderr).join('\n'), /stage pretrain: (resuming|training finished) from step \d+ of /);
  await sameAsReference(t, out);
});

for (const [signal, code, how] of [['SIGINT', 130, 'the same command'], ['SIGTERM', 143, 'graft resume']] as const) {
  test(`${signal}: saves, writes no result.json, exits ${code}; ${how} then ends as an uninterrupted run`, async (t) => {
    const out = path.join(tmp, signal);
    const ck = ckOf(out);
    const c = graft(runArgs(out));
    t.true(await when(c, out, () => latestStep(ck) >= 4), 'training reached the first checkpoint');
    c.proc.kill(signal);
    const exit = await c.exited;
    t.is(exit.code, code, exit.stderr);
    t.false(existsSync(path.join(stageOf(out), 'result.json')), 'no result.json');
    const m = /stopped by (SIG\w+) at step (\d+); saved (\S+)/.exec(exit.stderr);
    t.truthy(m, exit.stderr);
    const step = Number(m![2]);
    t.is(m![1], signal);
    t.true(step >= 4 && step < STEPS, `stopped at step ${step}`);
    t.is(latestStep(ck), step, 'latest.json points at the checkpoint of the step it stopped at');
    t.true(metricsRecords(path.join(stageOf(out), 'metrics.jsonl')).every((r) => (r.step as number) <= step), 'no record past the saved step');
    const again = await graft(how === 'graft resume' ? ['resume', out] : runArgs(out)).exited;
    t.is(again.code, 0, again.stderr);
    t.regex(again.stderr, new RegExp(`stage pretrain: resuming from step ${step} of `));
    await sameAsReference(t, out);
  });
}

test('graft resume needs a run folder with its config.json (exit 2 otherwise, nothing written)', async (t) => {
  const { main } = await import('../../cli/main.ts');
  const err: string[] = [];
  const io = { out: () => undefined, err: (s: string) => void err.push(s) };
  const empty = mkdtempSync(path.join(tmp, 'not-a-run-'));
  t.is(await main(['resume'], io), 2);
  t.is(await main(['resume', empty], io), 2);
  t.is(await main(['resume', empty, 'extra'], io), 2);
  t.is(await main(['resume', empty, '--seed', '3'], io), 2, 'the seed is the recorded one');
  t.regex(err.join('\n'), /needs a run folder[\s\S]*no config\.json[\s\S]*unexpected argument "extra"[\s\S]*unknown flag --seed/);
  t.deepEqual(entries(empty), []);
});
