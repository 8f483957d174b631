import test from 'ava';
import type { BenchReport } from '../../bench/report.ts';
import { targetsOf, type TargetRow } from '../../bench/lib/targets.ts';

const turns = (graftThreads: number, ratio: number) =>
  ({ pairs: 16, stepsPerTurn: 2, graftThreads, torchThreads: 2, graftMs: 100, torchMs: 100 * ratio, ratio, ratioQuartiles: [ratio - 0.05, ratio + 0.05] });
const aaPercent = { trainers: 0.3, bareLoops: -0.5 };
const overhead = (cpuPercent: number, wallMs: number) =>
  ({ cpu: { overheadPercent: cpuPercent, overheadMsPerStep: 0, aaPercent }, wall: { overheadPercent: 0, overheadMsPerStep: wallMs, aaPercent } });
const skipped = (reason: string) => ({ status: 'skipped', reason });

/** The sections targetsOf reads; the rest of a report is not looked at. */
function report(over: Record<string, unknown> = {}): BenchReport {
  return {
    throughput: { turns: turns(2, 0.969), turnsInChild: [{ backend: 'wasm', turns: turns(1, 0.611) }] },
    scaling: [
      { name: '0.8M', turns: turns(2, 1.095) },
      { name: '25M', turns: turns(2, 0.759) },
      { name: '6.4M', turns: { skipped: 'torch or the reference script is missing (as in CI)' } },
    ],
    awdLstm: { status: 'measured', ratioToTorch: 0.85 },
    hookOverhead: { tiny: overhead(0.62, 0.1), micro: overhead(3, 0.058) },
    long: skipped('run with --long'),
    ...over,
  } as unknown as BenchReport;
}

const row = (rows: TargetRow[], target: string): TargetRow => {
  const r = rows.find((x) => x.target === target);
  if (!r) throw new Error(`no row ${target}: ${rows.map((x) => x.target).join(', ')}`);
  return r;
};

test('each target is judged by its own figure: turns by thread count, scaling by size, the hook shares', (t) => {
  const rows = targetsOf(report());
  t.deepEqual(rows.map((r) => [r.target, r.value, r.met]), [
    ['GPT reference size, 2 threads', 0.969, false],
    ['GPT reference size, 1 thread', 0.611, true],
    ['GPT 0.8M', 1.095, true],
    ['GPT 25M', 0.759, false],
    ['GPT 6.4M', null, null],
    ['AWD-LSTM language model', 0.85, true],
    ['trainer machinery, tiny GPT', 0.62, true],
    ['trainer machinery, micro GPT', 0.058, false],
    ['memory over 1,000 steps', null, null],
  ]);
  t.is(row(rows, 'GPT reference size, 1 thread').source, 'throughput.turnsInChild (wasm): per-pair median of 16 pairs');
  t.is(row(rows, 'GPT 6.4M').source, 'scaling: torch or the reference script is missing (as in CI)');
  t.is(row(rows, 'memory over 1,000 steps').source, 'long: run with --long');
  // The machinery's figures carry what two identical loops differed by in the same run.
  t.is(row(rows, 'trainer machinery, tiny GPT').source, 'hookOverhead.tiny.cpu.overheadPercent (A/A: trainers 0.30 %, bare loops -0.50 %)');
});

test('a ratio exactly at the goal meets it; the thread counts are found wherever they were measured', (t) => {
  // The bench run on 1 thread in its own process, 2 threads in a child's.
  const rows = targetsOf(report({ throughput: { turns: turns(1, 0.6), turnsInChild: [{ backend: 'wasm-2t', turns: turns(2, 1.0) }] } }));
  t.deepEqual([row(rows, 'GPT reference size, 2 threads').met, row(rows, 'GPT reference size, 1 thread').met], [true, true]);
  t.is(row(rows, 'GPT reference size, 2 threads').source, 'throughput.turnsInChild (wasm-2t): per-pair median of 16 pairs');
});

test('AWD-LSTM: its turns when they ran, before the separate runs\' ratio', (t) => {
  const separate = row(targetsOf(report()), 'AWD-LSTM language model');
  t.is(separate.source, 'awdLstm: separate runs (no turns)');
  const rows = targetsOf(report({ awdLstm: { status: 'measured', ratioToTorch: 0.85, turns: { pairs: 12, stepsPerTurn: 2, ratio: 0.66 } } }));
  const awd = row(rows, 'AWD-LSTM language model');
  t.deepEqual([awd.value, awd.met, awd.source], [0.66, false, 'awdLstm turns: per-pair median of 12 pairs']);
});

test('a failed or missing section is "not measured" with its reason, never a pass', (t) => {
  const rows = targetsOf(report({
    throughput: { turns: { status: 'failed', error: 'gpt_torch_turns.py ended' }, turnsInChild: [] },
    scaling: skipped('run with --scaling'),
    awdLstm: { status: 'failed', error: 'model:awd-lstm did not load' },
    hookOverhead: { tiny: skipped('not in --only throughput'), micro: { status: 'failed', error: 'boom' } },
    long: { meetsTarget: false, rssGrowthPercent: 7.5 },
  }));
  t.deepEqual(rows.map((r) => [r.target, r.met]), [
    ['GPT reference size, 2 threads', null],
    ['GPT reference size, 1 thread', null],
    ['GPT at every scaling size', null],
    ['AWD-LSTM language model', null],
    ['trainer machinery, tiny GPT', null],
    ['trainer machinery, micro GPT', null],
    ['memory over 1,000 steps', false],
  ]);
  t.regex(row(rows, 'GPT reference size, 2 threads').source, /^no turns with 2 Graft thread/);
  t.is(row(rows, 'AWD-LSTM language model').source, 'awdLstm: model:awd-lstm did not load');
  t.is(row(rows, 'trainer machinery, micro GPT').source, 'hookOverhead.micro: boom');
  t.is(row(rows, 'memory over 1,000 steps').value, 7.5);
});
