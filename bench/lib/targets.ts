/**
 * Issue #14's targets, read off one bench report: each with the figure it is judged by, whether it
 * is met, and where the figure comes from, or why it was not measured in this run. The ratios to
 * PyTorch are the `turns` ones (Graft's and PyTorch's steps alternating in one run), never the
 * rows' ratios, which compare runs a minute apart on a VM whose speed drifts.
 */
import type { BenchReport } from '../report.ts';
import type { Overhead } from './overheadOfRounds.ts';
import type { TorchTurns } from '../sections/torchTurns.ts';

export interface TargetRow {
  target: string;
  /** The bar, as the issue states it. */
  goal: string;
  /** The figure judged against it (a ratio, a percent or milliseconds), or null when not measured. */
  value: number | null;
  met: boolean | null;
  /** Where the figure comes from, or why there is none. */
  source: string;
}

/** Why a section has no figure: its skip reason or its error. */
const why = (x: { reason: string } | { error: string }): string => ('reason' in x ? x.reason : x.error);

/** The turns measured with `threads` Graft threads (in the bench's process or a child's), if any. */
function turnsWith(rep: Omit<BenchReport, 'targets'>, threads: number): { turns: TorchTurns; where: string } | null {
  const t = rep.throughput.turns;
  if ('ratio' in t && t.graftThreads === threads) return { turns: t, where: 'throughput.turns' };
  for (const c of rep.throughput.turnsInChild) {
    if ('ratio' in c.turns && c.turns.graftThreads === threads) return { turns: c.turns, where: `throughput.turnsInChild (${c.backend})` };
  }
  return null;
}

/** The instrument's own reading next to a machinery figure: what two identical loops differed by in the same run. */
const aa = ({ aaPercent: a }: Pick<Overhead, 'aaPercent'>): string => ` (A/A: trainers ${a.trainers.toFixed(2)} %, bare loops ${a.bareLoops.toFixed(2)} %)`;

const atLeast = (target: string, goal: number, value: number | null, source: string): TargetRow =>
  ({ target, goal: `>= ${goal.toFixed(1)}x PyTorch`, value, met: value == null ? null : value >= goal, source });

export function targetsOf(rep: Omit<BenchReport, 'targets'>): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const [threads, goal] of [[2, 1.0], [1, 0.6]] as const) {
    const t = turnsWith(rep, threads);
    rows.push(atLeast(`GPT reference size, ${threads} thread${threads > 1 ? 's' : ''}`, goal, t?.turns.ratio ?? null,
      t ? `${t.where}: per-pair median of ${t.turns.pairs} pairs` : `no turns with ${threads} Graft thread(s) in this run (--backends wasm-2t,wasm, with PyTorch)`));
  }
  const sc = rep.scaling;
  if (!Array.isArray(sc)) rows.push(atLeast('GPT at every scaling size', 0.8, null, `scaling: ${why(sc)}`));
  else {
    for (const s of sc) {
      rows.push(atLeast(`GPT ${s.name}`, 0.8, 'ratio' in s.turns ? s.turns.ratio : null,
        'ratio' in s.turns ? `scaling turns: per-pair median of ${s.turns.pairs} pairs` : `scaling: ${s.turns.skipped}`));
    }
  }
  const awd = rep.awdLstm;
  if (awd.status === 'measured') {
    // The turns when they ran (drift-free); else the separate runs' ratio, said so.
    if (awd.turns) rows.push(atLeast('AWD-LSTM language model', 0.7, awd.turns.ratio, `awdLstm turns: per-pair median of ${awd.turns.pairs} pairs`));
    else rows.push(atLeast('AWD-LSTM language model', 0.7, awd.ratioToTorch, awd.ratioToTorch == null ? 'awdLstm: no PyTorch run' : 'awdLstm: separate runs (no turns)'));
  } else rows.push(atLeast('AWD-LSTM language model', 0.7, null, `awdLstm: ${why(awd)}`));
  const { tiny, micro } = rep.hookOverhead;
  const tinyCpu = 'cpu' in tiny ? tiny.cpu.overheadPercent : null;
  rows.push({ target: 'trainer machinery, tiny GPT', goal: '< 1 % of the step (CPU time)', value: tinyCpu, met: tinyCpu == null ? null : tinyCpu < 1,
    source: 'cpu' in tiny ? `hookOverhead.tiny.cpu.overheadPercent${aa(tiny.cpu)}` : `hookOverhead.tiny: ${why(tiny)}` });
  const microMs = 'wall' in micro ? micro.wall.overheadMsPerStep : null;
  rows.push({ target: 'trainer machinery, micro GPT', goal: '< 0.05 ms a step (wall)', value: microMs, met: microMs == null ? null : microMs < 0.05,
    source: 'wall' in micro ? `hookOverhead.micro.wall.overheadMsPerStep${aa(micro.wall)}` : `hookOverhead.micro: ${why(micro)}` });
  const long = rep.long;
  const goal = 'tensors flat, RSS growth < 5 % from step 100 (%)';
  rows.push('meetsTarget' in long
    ? { target: 'memory over 1,000 steps', goal, value: long.rssGrowthPercent, met: long.meetsTarget, source: 'long' }
    : { target: 'memory over 1,000 steps', goal, value: null, met: null, source: `long: ${why(long)}` });
  return rows;
}
