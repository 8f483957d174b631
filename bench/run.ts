/**
 * `npm run bench`: one JSON report, every figure measured in this run, on this machine.
 *
 *   npm run bench -- [--quick] [--long] [--backends wasm,cpu] [--no-torch]
 *
 *  (a) hook machinery cost per step: a tiny GPT by Graft's trainer vs a bare tfjs loop, interleaved
 *  (b) tokens/s of the reference GPT training step (gpt_torch.py's model, data and weights) per
 *      backend, Graft and a bare loop, with losses checked against PyTorch's
 *  (c) tokens/s of model:awd-lstm (ULMFiT's language model) at its default size
 *  (d) the PyTorch reference itself, when /usr/bin/python3 has torch
 *  (e) --long: 1,000 steps, tensor count and RSS
 *
 * JSON on stdout and in bench/results/latest.json; a readable summary on stderr. Kernel-level
 * stock-vs-graft timings are in bench/kernels.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { MICRO_CONFIG, REFERENCE_CONFIG, TINY_CONFIG } from './config.ts';
import { Budget } from './lib/budget.ts';
import { compareLosses } from './lib/compareLosses.ts';
import { parseArgs, processWasmThreads, benchThreads, type BenchBackend, type BenchSection } from './lib/parseArgs.ts';
import { overheadPercent, sig } from './lib/stats.ts';
import { failed, formatReport, type BenchReport, type Failed } from './report.ts';
import { awdLstmThroughput } from './sections/awdLstm.ts';
import { gptThroughput, REFERENCE_FLOPS_PER_TOKEN, REFERENCE_PARAMS, REFERENCE_TOKENS_PER_STEP, type Impl, type StepPlan, type ThroughputRow } from './sections/gptThroughput.ts';
import { hookOverhead } from './sections/hookOverhead.ts';
import { generationBench } from './sections/generation.ts';
import { checkpointingBench } from './sections/checkpointing.ts';
import { simdCeiling } from '../core/backend/index.ts';
import { scalingBench } from './sections/scaling.ts';
import { longRun } from './sections/longRun.ts';
import { targetsOf } from './lib/targets.ts';
import { useBackend } from './measure.ts';
import { torchReference } from './sections/torchReference.ts';
import { torchTurns, type TorchTurns } from './sections/torchTurns.ts';
import { parseTokenShardsArgs, tokenShardsBench } from './sections/tokenShards.ts';

/** gpt_torch.py's first losses as its README states them (5 decimals), for when torch is absent. */
const README_TORCH_LOSSES = [4.6224, 4.31849, 4.19117];
/** Float32 tfjs vs float32 PyTorch agree to about 1e-5 when the math is the same; README values are rounded to 5e-6. */
const LOSS_TOLERANCE = 1e-4;
const BUDGET_S = 180;
const execFileAsync = promisify(execFile);
const OVERHEAD_TARGET_PERCENT = 1;

// `--only token-shards [--gb N]`: the streaming-dataset section alone (GBs of text: minutes, outside
// the 3-minute report, with a report of its own). Other `--only` sections are parts of the report.
if (process.argv[2] === '--only' && process.argv[3] === 'token-shards') {
  const res = await tokenShardsBench(parseTokenShardsArgs(process.argv.slice(4)), (s) => process.stderr.write(`${s}\n`));
  const out = JSON.stringify({ meta: { date: new Date().toISOString(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, node: process.version, cpus: os.cpus().length, loadavg: os.loadavg() }, tokenShards: res }, null, 1);
  mkdirSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'results'), { recursive: true });
  writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'token-shards.json'), `${out}\n`);
  // exit only once stdout has taken the report (a pipe is written asynchronously).
  await new Promise<void>((done) => process.stdout.write(`${out}\n`, () => done()));
  process.exit(0);
}
let args: ReturnType<typeof parseArgs>;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  // A usage error: the message, no stack, exit 2.
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
const q = args.quick;
const log = (s: string) => process.stderr.write(`${s}\n`);
const t0 = performance.now();
const loadavgStart = os.loadavg();
let anyFailed = false;
async function attempt<T>(label: string, f: () => Promise<T>): Promise<T | Failed> {
  log(`bench: ${label} ...`);
  const s = performance.now();
  try {
    const out = await f();
    log(`bench: ${label} done in ${((performance.now() - s) / 1000).toFixed(1)} s`);
    return out;
  } catch (err) {
    anyFailed = true;
    log(`bench: ${label} FAILED: ${(err as Error).stack ?? err}`);
    return failed(err);
  }
}

/** Whether `--only` (or its absence) asks for a section; the others are reported as skipped. */
const want = (section: BenchSection) => args.only === undefined || args.only.has(section);
const notAsked = { status: 'skipped' as const, reason: `not in --only ${[...(args.only ?? [])].join(',')}` };

// Sections take what is left of the budget (--long has none): on a loaded machine they time fewer steps.
const budget = new Budget(args.long ? Infinity : (BUDGET_S - 10) * 1000);

// (d) first, alone: nothing of ours competes with it for the two cores.
const torch = args.torch && want('throughput')
  ? await attempt('PyTorch reference', () => torchReference({ steps: q ? 5 : 20, warmup: q ? 1 : 2, timeoutMs: 300_000 }))
  : { status: 'skipped' as const, reason: args.torch ? notAsked.reason : '--no-torch' };

// The tiny-model, bare-loop and AWD-LSTM measurements run on the first backend of the list.
const main: BenchBackend = args.backends[0]!;
// Wasm's thread count is fixed for the process when it first starts: rows with another count run in
// a child process (bench/row.ts), so every row computes with the threads its name says.
const ownThreads = processWasmThreads(args.backends);
const inChild = (b: BenchBackend) => b !== main && benchThreads(b) != null && benchThreads(b) !== ownThreads;
// The GEMM's multiply-add (fused or not changes every product's last bits and its speed), as the
// main backend chose it; child processes choose the same under the same environment.
const gemmFma = benchThreads(main) != null ? (await useBackend(main)).fma ?? null : null;

// (a) on the tiny model (the target), then on a micro model (the fixed cost in ms)
const overheadTiny = !want('overhead') ? notAsked : await attempt(`hook overhead, tiny GPT on ${main}`, () =>
  hookOverhead(main, TINY_CONFIG, { allowanceMs: q ? 6_000 : 18_000, minPairs: q ? 4 : 10, maxPairs: 120, stepsPerBlock: 4, warmupSteps: 5, warmupRounds: 0 }, budget));
const overheadMicro = !want('overhead') ? notAsked : await attempt(`hook overhead, micro GPT on ${main}`, () =>
  hookOverhead(main, MICRO_CONFIG, { allowanceMs: q ? 2_000 : 6_000, minPairs: q ? 4 : 10, maxPairs: 400, stepsPerBlock: 10, warmupSteps: 100, warmupRounds: q ? 10 : 150 }, budget));

// (b), main backend first, (c) after it, then the other backends (cpu, the slowest, last).
const rows: ThroughputRow[] = [];
const failures: { impl: string; backend: string; error: string }[] = [];
const skipped: { impl: string; backend: string; reason: string }[] = [];
let profile: BenchReport['profile'] = { status: 'skipped', reason: 'no graft row was measured' };
const plans: Record<BenchBackend, StepPlan> = {
  // allowance for the graft and bare rows together (their steps are interleaved)
  wasm: { warmup: q ? 1 : 2, allowanceMs: q ? 8_000 : 22_000, min: q ? 2 : 4, max: 20 },
  // ~5x slower than wasm; its first step is as slow as the next ones (few operator caches), so no warm-up.
  'wasm-stock': { warmup: 0, allowanceMs: q ? 4_000 : 12_000, min: 2, max: 10 },
  // The slowest by far (~25x wasm here): one or two steps, no warm-up (the cpu backend has no operator caches to fill).
  cpu: { warmup: 0, allowanceMs: Infinity, min: 1, max: q ? 1 : 2 },
  // Its own process (threads are fixed when wasm starts), which pays ~2 s to start the pool.
  'wasm-2t': { warmup: q ? 1 : 2, allowanceMs: q ? 4_000 : 10_000, min: 2, max: 20 },
};
/** Turns with PyTorch of Graft on the wasm thread counts measured in a child process (1 thread when the bench runs on 2). */
const childTurns: BenchReport['throughput']['turnsInChild'] = [];
async function throughputRows(backend: BenchBackend, impls: Impl[]): Promise<void> {
  // The child takes turns with PyTorch too, for a wasm backend with Graft's kernels (after its row).
  const pairs = torch.status === 'measured' && (backend === 'wasm' || backend === 'wasm-2t') ? (q ? 4 : 16) : 0;
  const res = await attempt(`${impls.join(' + ')} step on ${backend}${inChild(backend) && pairs > 0 ? ', then turns with PyTorch' : ''}`, () =>
    inChild(backend)
      ? rowInChildProcess(backend, plans[backend], budget.remainingMs(), pairs)
      : gptThroughput(backend, impls, plans[backend], budget, backend === main ? 'graft' : undefined));
  if ('status' in res) {
    for (const impl of impls) failures.push({ impl, backend, error: res.error });
    return;
  }
  rows.push(...res.rows);
  if (res.profile) profile = { backend, impl: 'graft', ...res.profile };
  const inChildTurns = (res as { turns?: TorchTurns | Failed }).turns;
  if (inChildTurns) childTurns.push({ backend, turns: inChildTurns });
}
if (want('throughput')) await throughputRows(main, ['graft', 'bare-tfjs']);

// Graft's step and PyTorch's one at a time in turn: the ratio the VM's drifting speed does not move.
const turns = torch.status !== 'measured'
  ? { status: 'skipped' as const, reason: torch.status === 'skipped' ? torch.reason : 'the PyTorch reference failed' }
  : await attempt(`Graft on ${main} and PyTorch taking turns`, () => torchTurns(q ? 4 : 16, ownThreads ?? 1));

// (c)
const awd = !want('awd-lstm') ? notAsked : await attempt(`AWD-LSTM on ${main}`, () => awdLstmThroughput(main, { warmup: q ? 1 : 2, allowanceMs: q ? 4_000 : 10_000, min: q ? 2 : 3, max: 10 }, budget, { run: args.torch }));

// Generation with and without model:gpt's key/value cache.
const generation = !want('generation') ? notAsked : await attempt(`generation on ${main}`, () => generationBench(REFERENCE_CONFIG));

// GPT at 0.8M-25M parameters against PyTorch at each size (--scaling: a few minutes).
const scaling = args.scaling
  ? await attempt('scaling, 0.8M to 25M parameters', () => scalingBench(q, ownThreads ?? 1))
  : { status: 'skipped' as const, reason: 'run with --scaling' };

// What one core does in wasm SIMD here, and Graft's GEMM alone on the step's dense products (after
// the timed rows: it may turn V8's relaxed SIMD flag on to measure relaxed_madd).
const ceiling = !want('throughput') ? notAsked : await attempt('wasm SIMD ceiling', async () => simdCeiling());

// model:gpt's activationCheckpointing at 25M, 50M and 151M, each run in a process of its own (with --scaling, or --only checkpointing).
const checkpointing = (args.only === undefined && args.scaling) || args.only?.has('checkpointing')
  ? await attempt('activation checkpointing, 25M to 151M parameters', () => checkpointingBench(ownThreads === 2 ? 'wasm-2t' : 'wasm', q ? 1 : 2))
  : { status: 'skipped' as const, reason: 'run with --scaling or --only checkpointing' };

// A cpu step takes ~30-40x a wasm one here (measured 41-77 s vs 1.7-3.4 s): skip it, with the reason,
// rather than overrun the budget when one step cannot fit.
const CPU_OVER_WASM = 30;
for (const backend of want('throughput') ? args.backends.slice(1) : []) {
  const wasmStep = rows.find((r) => r.impl === 'graft' && r.backend === 'wasm')?.stepMs;
  const guessMs = backend === 'cpu' && wasmStep !== undefined ? CPU_OVER_WASM * wasmStep : 0;
  if (guessMs * plans[backend].min > budget.remainingMs()) {
    skipped.push({ impl: 'graft', backend, reason: `time budget: ${(budget.remainingMs() / 1000).toFixed(0)} s left, a ${backend} step takes ~${(guessMs / 1000).toFixed(0)} s (${CPU_OVER_WASM}x wasm); run with --long (no budget) or --backends ${backend}` });
    continue;
  }
  await throughputRows(backend, ['graft']);
}

/** A graft row measured by bench/row.ts in a child process (gptThroughput's JSON, and its turns with PyTorch when `pairs` > 0). */
async function rowInChildProcess(backend: BenchBackend, plan: StepPlan, budgetMs: number, pairs: number): Promise<Awaited<ReturnType<typeof gptThroughput>> & { turns?: TorchTurns | Failed }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'row.ts');
  const { stdout } = await execFileAsync(process.execPath, ['--import=tsx', script, backend, JSON.stringify(plan), String(budgetMs), String(pairs)], {
    cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
    maxBuffer: 1 << 24,
    timeout: Math.round(Math.max(60_000, Number.isFinite(budgetMs) ? budgetMs + 60_000 : 3_600_000)),
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Awaited<ReturnType<typeof gptThroughput>> & { turns?: TorchTurns | Failed };
}

// (e)
// Rows measured in a child process cannot be re-created in this one.
const graftRows = rows.filter((r) => r.impl === 'graft' && !inChild(r.backend));
const fastest = graftRows.sort((a, b) => b.tokensPerS - a.tokensPerS)[0];
const long = !args.long
  ? { status: 'skipped' as const, reason: 'run with --long' }
  : fastest === undefined
    ? { status: 'skipped' as const, reason: 'no backend was measured' }
    : await attempt(`1,000 steps on ${fastest.backend}`, () => longRun(fastest.backend, 1000));

const torchTokens = torch.status === 'measured' ? torch.result.tokens_per_s : null;
const referenceLosses = torch.status === 'measured' && torch.result.losses ? torch.result.losses : README_TORCH_LOSSES;
const durationS = (performance.now() - t0) / 1000;
const sections: Omit<BenchReport, 'targets'> = {
  meta: {
    date: new Date().toISOString(),
    command: process.argv.length > 2 ? `npm run bench -- ${process.argv.slice(2).join(' ')}` : 'npm run bench',
    node: process.version,
    tfjs: tf.version_core,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadavgStart,
    loadavgEnd: os.loadavg(),
    durationS,
    budgetS: args.long ? null : BUDGET_S,
    wasmThreadsInProcess: ownThreads,
    gemmFma,
  },
  hookOverhead: {
    targetPercent: OVERHEAD_TARGET_PERCENT,
    meetsTarget: 'status' in overheadTiny ? null : {
      cpu: overheadTiny.cpu.overheadPercent < OVERHEAD_TARGET_PERCENT,
      wall: overheadTiny.wall.overheadPercent < OVERHEAD_TARGET_PERCENT,
    },
    tiny: overheadTiny,
    micro: overheadMicro,
  },
  throughput: {
    model: {
      description: `GPT ${REFERENCE_CONFIG.nLayers} layers, ${REFERENCE_CONFIG.nHeads} heads, width ${REFERENCE_CONFIG.dModel}, context ${REFERENCE_CONFIG.contextLength}, batch ${REFERENCE_CONFIG.batchSize}, vocab ${REFERENCE_CONFIG.vocab}, tied head, AdamW`,
      ...REFERENCE_CONFIG,
      params: REFERENCE_PARAMS,
      flopsPerToken: REFERENCE_FLOPS_PER_TOKEN,
      tokensPerStep: REFERENCE_TOKENS_PER_STEP,
      data: "gpt_torch.py's Markov chain, batch order and initial weights (lowbias32); embeddings weight-decayed as there",
    },
    rows: rows.map((r) => ({ ...r, ratioToTorch: torchTokens == null ? null : r.tokensPerS / torchTokens })),
    graftVsBarePercent: graftVsBare(rows, main),
    failures,
    skipped,
    torch,
    turns,
    turnsInChild: childTurns,
    lossCheck: rows.length === 0
      ? { status: 'skipped', reason: 'no row was measured' }
      : {
          against: torch.status === 'measured' ? 'the PyTorch run above' : "gpt_torch.py's README (torch not run)",
          comparisons: rows.map((r) => ({ impl: r.impl, backend: r.backend, ...compareLosses(r.losses, referenceLosses, LOSS_TOLERANCE, 3) })),
        },
  },
  profile,
  ceiling,
  awdLstm: awd,
  generation,
  scaling,
  checkpointing,
  long,
};
const report: BenchReport = { ...sections, targets: targetsOf(sections) };

/** Graft's step time over the bare loop's at the reference size (interleaved rows on `backend`), in percent. */
function graftVsBare(list: ThroughputRow[], backend: BenchBackend): number | null {
  const g = list.find((r) => r.impl === 'graft' && r.backend === backend);
  const b = list.find((r) => r.impl === 'bare-tfjs' && r.backend === backend);
  return g && b ? overheadPercent(g.stepMs, b.stepMs) : null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
mkdirSync(path.join(here, 'results'), { recursive: true });
// 6 significant digits: enough for losses compared at 1e-5, readable for times.
const json = JSON.stringify(report, (_key, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? sig(v, 6) : v), 1);
writeFileSync(path.join(here, 'results', 'latest.json'), `${json}\n`);
log('');
log(formatReport(report));
if (report.meta.budgetS != null && durationS > report.meta.budgetS) {
  log(`\nbench: took ${durationS.toFixed(0)} s, over the ${BUDGET_S} s budget (load average ${loadavgStart.map((x) => x.toFixed(1)).join('/')} at the start)`);
}
process.stdout.write(`${json}\n`);
if (anyFailed) process.exitCode = 1;
