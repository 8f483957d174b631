/**
 * graft sweep end to end, through the CLI with real worker processes: a grid of 6 tiny runs over 2
 * local workers on the embedded queue completes with every result in the report; submitting the
 * same sweep again runs nothing (every job is found, its result reused); the same sweep on BullMQ
 * (a real redis-server) gives the same report. A bad grid key is a usage error before anything is queued.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main.ts';
import { redisAvailable, redisGate, startRedis, type RedisServer } from './redisServer.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'graft-sweep-'));
let redis: RedisServer | undefined;
test.before(async () => {
  if (redisAvailable()) redis = await startRedis();
});
test.after.always(async () => {
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A tiny GPT: a couple of seconds a run. */
export const TINY = [
  'data.maxChars=20000', 'model.nLayers=1', 'model.dModel=16', 'model.nHeads=2', 'model.contextLength=16', 'train.batchSize=4',
  'train.maxSteps=12', 'train.evalEvery=0', 'train.checkpointEvery=4', 'data.maxValidationBatches=2', 'sample.maxTokens=2',
].flatMap((s) => ['--set', s]);
const GRID = ['--grid', 'train.lr=0.003,0.01,0.03', '--seeds', '1,2'];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

interface Report {
  runs: { dir: string; point: Record<string, string>; seed: number; jobs: string[]; stages: Record<string, { metrics: Record<string, number>; steps: number; seconds?: number } | null> }[];
}

const readReport = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
/** The report without wall-clock seconds. */
const timeless = (r: Report) => r.runs.map((x) => ({ ...x, stages: Object.fromEntries(Object.entries(x.stages).map(([k, v]) => [k, v && { ...v, seconds: undefined }])) }));

const embedded = path.join(tmp, 'embedded');

test.serial('embedded: 6 runs over 2 workers complete, every result in the report; submitted again, nothing runs twice', async (t) => {
  const c = capture();
  t.is(await main(['sweep', 'gpt-next-token-pretrain', ...TINY, ...GRID, '--workers', '2', '--out', embedded, '--backend', 'wasm'], c.io), 0, c.err.join('\n'));
  const report = readReport(embedded);
  t.is(report.runs.length, 6);
  t.deepEqual(report.runs.map((r) => [r.point['train.lr'], r.seed]), [['0.003', 1], ['0.003', 2], ['0.01', 1], ['0.01', 2], ['0.03', 1], ['0.03', 2]]);
  for (const r of report.runs) {
    t.is(r.stages.pretrain?.steps, 12, r.dir);
    t.true(Number.isFinite(r.stages.pretrain?.metrics.validation_loss), r.dir);
  }
  // Different learning rates train differently; the same settings with another seed too.
  t.is(new Set(report.runs.map((r) => r.stages.pretrain!.metrics.validation_loss)).size, 6);
  const md = readFileSync(path.join(embedded, 'report.md'), 'utf8');
  t.is(c.out.join('\n'), md.trimEnd());
  t.is(md.split('\n')[0]!.split('|').length - 3, 6, 'one column per run');
  t.true(existsSync(path.join(embedded, 'compare.html')));
  // Both workers took jobs.
  t.is(new Set(c.err.filter((l) => l.includes(': taken')).map((l) => /^\[worker (\d)\]/.exec(l)?.[1])).size, 2, c.err.join('\n'));

  const results = report.runs.map((r) => path.join(embedded, r.dir, 'pretrain', 'result.json'));
  const before = results.map((f) => statSync(f).mtimeMs);
  const again = capture();
  t.is(await main(['sweep', 'gpt-next-token-pretrain', ...TINY, ...GRID, '--workers', '1', '--out', embedded, '--backend', 'wasm'], again.io), 0, again.err.join('\n'));
  t.is(again.err.filter((l) => l.includes('already submitted (its result is reused)')).length, 6, again.err.join('\n'));
  t.false(again.err.some((l) => l.includes(': taken')), 'no job was taken again');
  t.deepEqual(results.map((f) => statSync(f).mtimeMs), before, 'no run wrote its result again');
  t.deepEqual(readReport(embedded), report);
});

test.serial('redis: the same sweep on BullMQ gives the same report as the embedded queue', async (t) => {
  if (!redisGate(t)) return;
  const out = path.join(tmp, 'redis');
  const c = capture();
  t.is(await main(['sweep', 'gpt-next-token-pretrain', ...TINY, ...GRID, '--workers', '2', '--out', out, '--redis', redis!.url, '--backend', 'wasm'], c.io), 0, c.err.join('\n'));
  t.false(existsSync(path.join(out, '.graft-queue')), 'no embedded queue');
  t.deepEqual(timeless(readReport(out)), timeless(readReport(embedded)));
  t.is(readFileSync(path.join(out, 'report.md'), 'utf8'), readFileSync(path.join(embedded, 'report.md'), 'utf8'));
});

test('a bad grid key or value is a usage error naming it, before anything is queued', async (t) => {
  const out = path.join(tmp, 'bad');
  const c = capture();
  t.is(await main(['sweep', 'gpt-next-token-pretrain', ...TINY, '--grid', 'train.lrr=0.1,0.2', '--out', out], c.io), 2);
  t.regex(c.err.join('\n'), /train\.lrr/);
  const v = capture();
  t.is(await main(['sweep', 'gpt-next-token-pretrain', ...TINY, '--grid', 'train.lr=0.1,fast', '--out', out], v.io), 2);
  t.regex(v.err.join('\n'), /train\.lr|fast/);
  const twice = capture();
  t.is(await main(['sweep', 'gpt-next-token-pretrain', ...TINY, '--grid', 'train.maxSteps=3,4', '--out', out], twice.io), 2);
  t.regex(twice.err.join('\n'), /both --set and --grid/);
  t.false(existsSync(out), 'nothing written');
});
