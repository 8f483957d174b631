import type { HookOverheadResult } from './sections/hookOverhead.ts';
import type { KernelProfile, ThroughputRow } from './sections/gptThroughput.ts';
import type { AwdLstmResult } from './sections/awdLstm.ts';
import type { GenerationResult } from './sections/generation.ts';
import type { CheckpointingRow } from './sections/checkpointing.ts';
import type { SimdCeiling } from '../core/backend/index.ts';
import type { ScalingRow } from './sections/scaling.ts';
import type { TorchSection } from './sections/torchReference.ts';
import type { TorchTurns } from './sections/torchTurns.ts';
import type { LongRunResult } from './sections/longRun.ts';
import type { LossComparison } from './lib/compareLosses.ts';
import { formatTable } from './lib/formatTable.ts';
import type { TargetRow } from './lib/targets.ts';

export type Skipped = { status: 'skipped'; reason: string };
export type Failed = { status: 'failed'; error: string };

/** A section's failure as the report records it: the error's first line. */
export const failed = (err: unknown): Failed => ({ status: 'failed', error: err instanceof Error ? err.message.split('\n')[0]! : String(err) });

/** The issue's target for the hook machinery's fixed cost a step, in microseconds. */
const DISPATCH_TARGET_US = 50;

export interface BenchReport {
  meta: {
    date: string;
    command: string;
    node: string;
    tfjs: string;
    cpus: number;
    cpuModel: string;
    /** os.loadavg() (1, 5, 15 min) when the bench started and ended: the machine may be shared. */
    loadavgStart: number[];
    loadavgEnd: number[];
    durationS: number;
    budgetS: number | null;
    /** Wasm threads of the bench process (rows with another count were measured in a child process). */
    wasmThreadsInProcess: number;
    /** The wasm GEMM's multiply-add as the backend chose it (the backend info's `fma`; GRAFT_WASM_FMA), null off wasm. */
    gemmFma: string | null;
  };
  hookOverhead: {
    targetPercent: number;
    /** Whether the tiny model's overhead (of the median step times) is under the target, by CPU and by wall time; null if not measured. */
    meetsTarget: { cpu: boolean; wall: boolean } | null;
    /** The tiny GPT (a step of tens of ms): overhead in percent. */
    tiny: HookOverheadResult | Failed | Skipped;
    /** A micro GPT (a step of a few ms): the machinery's fixed cost in ms per step. */
    micro: HookOverheadResult | Failed | Skipped;
  };
  throughput: {
    model: Record<string, unknown>;
    rows: (ThroughputRow & { ratioToTorch: number | null })[];
    /** Graft's step time over the bare loop's at this size, steps interleaved, in percent. */
    graftVsBarePercent: number | null;
    failures: { impl: string; backend: string; error: string }[];
    /** Rows not measured, with the reason (the time budget). */
    skipped: { impl: string; backend: string; reason: string }[];
    torch: TorchSection | Failed;
    /** Graft's step and PyTorch's one at a time in turn (sections/torchTurns.ts). */
    turns: TorchTurns | Failed | Skipped;
    /** The same for the wasm rows measured in a child process (another thread count: 1 thread when the bench runs on 2). */
    turnsInChild: { backend: string; turns: TorchTurns | Failed }[];
    lossCheck: { against: string; comparisons: ({ impl: string; backend: string } & LossComparison)[] } | Skipped;
  };
  profile: ({ backend: string; impl: string } & KernelProfile) | Skipped | Failed;
  /** One core's wasm SIMD peak and Graft's GEMM alone (core/backend/simdCeiling.ts). */
  ceiling: SimdCeiling | Skipped | Failed;
  awdLstm: AwdLstmResult | Failed;
  generation: GenerationResult | Failed | Skipped;
  scaling: ScalingRow[] | Failed | { status: 'skipped'; reason: string };
  checkpointing: CheckpointingRow[] | Failed | { status: 'skipped'; reason: string };
  long: LongRunResult | Skipped | Failed;
  /** Issue #14's targets judged by this run's figures (lib/targets.ts). */
  targets: TargetRow[];
}

const r = (x: number, d = 3) => Number(x.toPrecision(d));

/** The human-readable summary printed on stderr. */
/** gpt_torch.py names its backend cpu-<n>t. */
function torchThreads(backend: string): number | null {
  const m = /-(\d+)t$/.exec(backend);
  return m ? Number(m[1]) : null;
}

export function formatReport(rep: BenchReport): string {
  const out: string[] = [];
  const m = rep.meta;
  out.push(`graft bench  ${m.date}  node ${m.node}  tfjs ${m.tfjs}  ${m.cpus} cpus  load ${m.loadavgStart.map((x) => x.toFixed(1)).join('/')} -> ${m.loadavgEnd.map((x) => x.toFixed(1)).join('/')}  ${m.durationS.toFixed(0)} s`);
  if (m.gemmFma != null) out.push(`wasm GEMM multiply-add: ${m.gemmFma}`);
  out.push('');
  const ho = rep.hookOverhead;
  const met = (b: boolean) => (b ? 'met' : 'NOT met');
  out.push(`(a) hook machinery per step, Graft's trainers vs bare tfjs loops (same math; two of each, taking turns); target < ${ho.targetPercent}% on the tiny model: ` +
    (ho.meetsTarget == null ? 'not measured' : `${met(ho.meetsTarget.cpu)} by CPU time, ${met(ho.meetsTarget.wall)} by wall time`));
  for (const [label, h] of [['tiny', ho.tiny], ['micro', ho.micro]] as const) {
    if ('status' in h) {
      out.push(`    ${label}: ${h.status}: ${'reason' in h ? h.reason : h.error}`);
      continue;
    }
    out.push(`    ${label} on ${h.backend} (${h.model}; ${h.tapsPerStep} taps/step, ${h.pairs} rounds of 4 blocks x ${h.stepsPerBlock} steps${h.warmupRounds > 0 ? ` after ${h.warmupRounds} untimed` : ''}; same losses: ${h.sameLosses})`);
    out.push(`      hook dispatch alone (${h.tapsPerStep - 2} no-op taps, the nine step hooks): ${h.dispatchUsPerStep.toFixed(2)} µs/step (target for the fixed cost < ${DISPATCH_TARGET_US} µs: ${met(h.dispatchUsPerStep < DISPATCH_TARGET_US)})`);
    for (const clock of ['cpu', 'wall'] as const) {
      const o = h[clock];
      out.push(`      ${clock.padEnd(4)}  bare ${r(o.bareMs)} ms, graft ${r(o.graftMs)} ms: ${o.overheadPercent.toFixed(2)}% (${r(o.overheadMsPerStep, 2)} ms/step); ` +
        `per round median ${o.pairedOverheadPercent.toFixed(2)}%, quartiles ${o.pairedQuartilesPercent.map((x) => x.toFixed(1)).join('/')}%; ` +
        `A/A: trainer 2 vs 1 ${o.aaPercent.trainers.toFixed(2)}%, bare 2 vs 1 ${o.aaPercent.bareLoops.toFixed(2)}%`);
    }
  }
  out.push('');
  const t = rep.throughput;
  out.push(`(b) ${t.model.description}: ${t.model.params} params, ${r(Number(t.model.flopsPerToken) / 1e6)} MFLOP/token`);
  const torch = t.torch.status === 'measured' ? t.torch.result : undefined;
  const rows: (string | number | null)[][] = t.rows.map((x) => [
    x.impl, x.backend, x.threads, x.timedSteps, r(x.stepMs, 4), r(x.stepCpuMs, 4), r(x.tokensPerS, 4), r(x.gflopsPerS), x.ratioToTorch == null ? null : r(x.ratioToTorch), ...x.losses.slice(0, 3).map((l) => r(l, 6)),
  ]);
  if (torch) rows.push(['torch', torch.backend, torchThreads(torch.backend), Number(torch.timed_steps), torch.step_ms, null, torch.tokens_per_s, torch.gflops_per_s, 1, ...(torch.losses ?? [torch.loss_first]).slice(0, 3)]);
  out.push(formatTable(['impl', 'backend', 'threads', 'steps', 'step ms', 'cpu ms', 'tokens/s', 'GFLOP/s', 'x torch', 'loss 1', 'loss 2', 'loss 3'], rows));
  if (t.graftVsBarePercent != null) out.push(`    graft vs bare tfjs at this size (interleaved steps): ${t.graftVsBarePercent.toFixed(2)}%`);
  for (const x of t.rows) {
    const pa = x.productsAlone;
    if (pa == null) continue;
    const count = pa.products.reduce((s, p) => s + p.count, 0);
    out.push(`    ${x.impl}/${x.backend}: the step's ${count} matrix products alone, warm: ${r(pa.ms)} ms (${r(pa.gflopsPerS)} GFLOP/s; best runs ${r(pa.bestMs)} ms) of its ${r(x.stepMs)} ms step` +
      (torch ? `; PyTorch's whole step ${r(torch.step_ms)} ms` : ''));
  }
  for (const x of t.rows) {
    if (x.pool == null) continue;
    out.push(`    ${x.impl}/${x.backend}: ${r(x.pool.roundsPerStep)} rounds (${r(x.pool.tasksPerStep)} tasks, ${r(x.pool.helperTasksPerStep)} run by helpers) a step on the threads; the main thread waited ` +
      `${r(x.pool.mainWaitMsPerStep)} ms a step for helpers (${r((100 * x.pool.mainWaitMsPerStep) / x.stepMs, 2)} % of the step)`);
  }
  for (const f of t.failures) out.push(`    ${f.impl}/${f.backend} failed: ${f.error}`);
  for (const f of t.skipped) out.push(`    ${f.impl}/${f.backend} skipped: ${f.reason}`);
  if (t.torch.status !== 'measured') out.push(`    torch: ${t.torch.status}: ${'reason' in t.torch ? t.torch.reason : t.torch.error}`);
  else if (t.torch.warning) out.push(`    torch: WARNING: ${t.torch.warning}`);
  for (const [where, tt] of [['', t.turns], ...t.turnsInChild.map((c) => [` (${c.backend}, its own process)`, c.turns] as const)] as const) {
    if ('status' in tt) out.push(`    taking turns with PyTorch${where}: ${tt.status}: ${'reason' in tt ? tt.reason : tt.error}`);
    else {
      out.push(`    taking turns with PyTorch${where} (ABBA, step ${tt.stepsPerTurn} of each turn timed, ${tt.pairs} pairs; ${tt.graftThreads} and ${tt.torchThreads} threads): Graft ${tt.graftMs.toFixed(1)} ms, ` +
        `PyTorch ${tt.torchMs.toFixed(1)} ms a step; Graft ${tt.ratio.toFixed(3)}x PyTorch (per-pair median, quartiles ${tt.ratioQuartiles.map((x) => x.toFixed(3)).join('-')})`);
    }
  }
  if ('status' in t.lossCheck) out.push(`    losses: ${t.lossCheck.reason}`);
  else {
    for (const c of t.lossCheck.comparisons) {
      out.push(`    losses ${c.impl}/${c.backend} vs ${t.lossCheck.against}: max |diff| ${c.maxAbsDiff.toExponential(1)} over ${c.steps} steps: ${c.agree ? 'agree' : 'DIFFER'} (tolerance ${c.tolerance})`);
    }
  }
  out.push('');
  const p = rep.profile;
  if ('status' in p) out.push(`profile: ${p.status}: ${'reason' in p ? p.reason : p.error}`);
  else {
    out.push(`profile of one ${p.impl} step on ${p.backend}: ${r(p.wallMs)} ms wall under tf.profile, ${r(p.kernelMs)} ms in ${p.kernels} kernels`);
    out.push(formatTable(['kernel', 'calls', 'ms', '%'], p.top.map((k) => [k.kernel, k.calls, k.ms, k.percent])));
  }
  const ce = rep.ceiling;
  if ('status' in ce) out.push(`wasm SIMD ceiling: ${ce.status}: ${'reason' in ce ? ce.reason : ce.error}`);
  else {
    out.push(`wasm SIMD ceiling, one core: ${r(ce.peakGflops.mulAdd)} GFLOP/s (f32x4 mul + add, 12 accumulators), ${ce.peakGflops.fma === null ? 'no relaxed SIMD' : `${r(ce.peakGflops.fma)} with relaxed_madd`}; ` +
      `Graft's GEMM alone: ${Object.entries(ce.gemmGflops).map(([shape, g]) => `${shape} ${r(g)}`).join(', ')} GFLOP/s`);
  }
  out.push('');
  const a = rep.awdLstm;
  if (a.status === 'measured') {
    out.push(`(c) ${a.model} (batch ${a.batch} x bptt ${a.bptt}) on ${a.backend}: ${r(a.stepMs)} ms/step, ${r(a.tokensPerS)} tokens/s, ${r(a.gflopsPerS)} GFLOP/s`);
    const t = a.torch;
    if ('skipped' in t) out.push(`    PyTorch AWD-LSTM: skipped: ${t.skipped}`);
    else out.push(`    PyTorch AWD-LSTM (awd_lstm_torch.py, ${t.threads} threads): ${r(t.stepMs)} ms/step, ${r(t.tokensPerS)} tokens/s; Graft ${a.ratioToTorch!.toFixed(3)}x; eval loss at the initial weights ${a.lossEval0.toFixed(6)} vs ${t.lossEval0.toFixed(6)} (|diff| ${a.lossEval0Diff!.toExponential(1)})`);
    if (a.turns) {
      const tt = a.turns;
      out.push(`    taking turns with PyTorch (ABBA, step ${tt.stepsPerTurn} of each turn timed, ${tt.pairs} pairs): Graft ${r(tt.graftMs)} ms, PyTorch ${r(tt.torchMs)} ms a step; Graft ${tt.ratio.toFixed(3)}x PyTorch (per-pair median, quartiles ${tt.ratioQuartiles[0].toFixed(3)}-${tt.ratioQuartiles[1].toFixed(3)})`);
    }
  }
  else out.push(`(c) AWD-LSTM: ${a.status}: ${'reason' in a ? a.reason : a.error}`);
  out.push('');
  const g = rep.generation;
  if ('status' in g) out.push(`generation: ${g.status}: ${'reason' in g ? g.reason : g.error}`);
  else out.push(`generation, ${g.model}, greedy, batch 1, ${g.newTokens} tokens after ${g.promptTokens}: ${r(g.cachedTokensPerS)} tokens/s with the key/value cache, ${r(g.uncachedTokensPerS)} without (${g.speedup.toFixed(1)}x); same tokens: ${g.sameTokens}; PyTorch with its cache: ${'skipped' in g.torch ? g.torch.skipped : `${r(g.torch.tokensPerS)} tokens/s, Graft ${g.torch.ratio.toFixed(3)}x, same tokens: ${g.torch.sameTokens}`}`);
  out.push('');
  const sc = rep.scaling;
  if ('status' in sc) out.push(`scaling: ${sc.status}: ${'reason' in sc ? sc.reason : sc.error}`);
  else {
    out.push(`scaling: GPT training step, Graft (${sc[0]?.graft.threads ?? '?'} wasm thread(s), the bench process's) and PyTorch (2 threads) at each size`);
    out.push(formatTable(['size', 'params', 'layers', 'width', 'context', 'steps', 'graft tokens/s', 'GFLOP/s', 'torch tokens/s', 'x torch', 'turns x torch', 'loss diff', 'wasm heap MB', 'torch RSS MB'],
      sc.map((x) => [x.name, x.params, x.layers, x.width, x.context, x.steps, r(x.graft.tokensPerS), r(x.graft.gflopsPerS),
        'tokensPerS' in x.torch ? r(x.torch.tokensPerS) : '-', x.ratioToTorch === null ? '-' : x.ratioToTorch.toFixed(3),
        'ratio' in x.turns ? `${x.turns.ratio.toFixed(3)} (${x.turns.ratioQuartiles.map((q) => q.toFixed(2)).join('-')}, ${x.turns.pairs} pairs)` : '-',
        x.lossDiff === null ? '-' : x.lossDiff.toExponential(1), x.graft.heapMB === null ? '-' : r(x.graft.heapMB), 'maxRssMB' in x.torch ? r(x.torch.maxRssMB) : '-'])));
  }
  out.push('');
  const ck = rep.checkpointing;
  if ('status' in ck) out.push(`activation checkpointing: ${ck.status}: ${'reason' in ck ? ck.reason : ck.error}`);
  else {
    out.push('activation checkpointing (model:gpt activationCheckpointing), each run in a fresh process: step time and peak wasm heap');
    out.push(formatTable(['size', 'layers', 'width', 'checkpointing', 'step ms', 'tokens/s', 'wasm heap MB', 'loss 1', 'loss 2'],
      ck.map((x) => x.result.ok
        ? [x.name, x.layers, x.width, x.checkpoint ? 'on' : 'off', r(x.result.stepMs), r(x.result.tokensPerS), r(x.result.heapMB), x.result.losses[0]?.toFixed(6) ?? '-', x.result.losses[1]?.toFixed(6) ?? '-']
        : [x.name, x.layers, x.width, x.checkpoint ? 'on' : 'off', `does not fit: ${x.result.reason}`, '-', '-', '-', '-'])));
  }
  out.push('');
  const l = rep.long;
  if ('status' in l) out.push(`(e) long run: ${l.status}: ${'reason' in l ? l.reason : l.error}`);
  else {
    out.push(`(e) ${l.steps} steps on ${l.backend} in ${r(l.wallS)} s (${r(l.tokensPerS)} tokens/s): RSS ${l.rssGrowthPercent >= 0 ? '+' : ''}${l.rssGrowthPercent.toFixed(2)}% from step 100, tensors ${l.tensorsFlat ? 'flat' : 'GROWING'}: ${l.meetsTarget ? 'target met' : 'target NOT met'}`);
    out.push(formatTable(['step', 'tensors', 'RSS MB'], l.memory.map((s) => [s.step, s.numTensors, s.rssMB])));
  }
  out.push('');
  out.push("targets (issue #14), by this run's figures:");
  out.push(formatTable(['target', 'goal', 'this run', 'met', 'from'], rep.targets.map((t) => [t.target, t.goal,
    t.value == null ? '-' : t.value.toFixed(3), t.met == null ? 'not measured' : t.met ? 'met' : 'NOT met', t.source])));
  return out.join('\n');
}
