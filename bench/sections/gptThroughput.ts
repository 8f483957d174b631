import * as tf from '@tensorflow/tfjs-core';
import { REFERENCE_CONFIG } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';
import type { Budget } from '../lib/budget.ts';
import { gptFlopsPerToken } from '../lib/gptFlopsPerToken.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import { planSteps } from '../lib/planSteps.ts';
import { mean, median } from '../lib/stats.ts';
import { BareRunner, concatTimes, graftSteps, kernelProfile, useBackend, type StepTimes } from '../measure.ts';
import { StepProbe } from '../plugins/StepProbe.ts';
import { productsAlone, type ProductsAlone } from '../productsAlone.ts';
import { threadPoolStats, type ThreadPoolStats } from '../../core/backend/index.ts';

type PoolCounters = Omit<ThreadPoolStats, 'threads'>;
const POOL_COUNTERS = ['rounds', 'tasks', 'helperTasks', 'mainWaitMs'] as const satisfies readonly (keyof PoolCounters)[];
import { gptParameterCount } from '../../plugins/index.ts';

const c = REFERENCE_CONFIG;

/** Parameters of the reference GPT (822,016) and its model FLOPs per token. */
export const REFERENCE_PARAMS = gptParameterCount({
  vocabSize: c.vocab, contextLength: c.contextLength, nLayers: c.nLayers, dModel: c.dModel, mlpHidden: 4 * c.dModel, bias: true,
});
export const REFERENCE_FLOPS_PER_TOKEN = gptFlopsPerToken({ params: REFERENCE_PARAMS, nLayers: c.nLayers, contextLength: c.contextLength, dModel: c.dModel });
export const REFERENCE_TOKENS_PER_STEP = c.batchSize * c.contextLength;

export type Impl = 'graft' | 'bare-tfjs';

export interface ThroughputRow {
  impl: Impl;
  backend: BenchBackend;
  /** Threads the backend computed with (wasm: its thread count as reported by the running backend; cpu: 1). */
  threads: number;
  /** Kernels graft installed on this backend (the 'fast' ones are absent on wasm-stock). */
  graftKernels: string[];
  warmupSteps: number;
  timedSteps: number;
  /** Rows measured together had their steps interleaved (one each, alternating which goes first). */
  interleavedWith: Impl | null;
  /** Median wall-clock time of a timed step. */
  stepMs: number;
  stepMsMean: number;
  /** Median process CPU time of a timed step (well below stepMs: the process waited for a core). */
  stepCpuMs: number;
  tokensPerS: number;
  gflopsPerS: number;
  /** Losses of the first steps (from the reference weights, on the reference batches). */
  losses: number[];
  lossLast: number;
  /** tf.memory().numTensors after the timed steps minus before them, for the rows measured together (0: nothing accumulates); null without warm-up. */
  tensorGrowth: number | null;
  /** Tensors left after the rows measured together were disposed (0: no leak). */
  leakedTensors: number;
  /**
   * The step's matrix products timed alone, warm, on this backend (graft rows on wasm and
   * wasm-2t; null elsewhere: on cpu and stock wasm they take minutes): a floor for the step with
   * this GEMM.
   */
  productsAlone: ProductsAlone | null;
  /**
   * Graft's thread pool over this row's timed steps (threadPoolStats, per step): rounds shared
   * out, their tasks (and those the helpers ran), and the ms the main thread waited for helpers;
   * null on one thread.
   */
  pool: { roundsPerStep: number; tasksPerStep: number; helperTasksPerStep: number; mainWaitMsPerStep: number } | null;
}

export interface StepPlan {
  warmup: number;
  /** Time wanted for the timed steps (of all rows measured together); the budget may grant less. */
  allowanceMs: number;
  min: number;
  max: number;
}

export type KernelProfile = Awaited<ReturnType<typeof kernelProfile>>;

interface Runner {
  impl: Impl;
  run(n: number): Promise<StepTimes>;
  losses(): number[];
  dispose(): void;
}

async function makeRunner(impl: Impl): Promise<Runner> {
  if (impl === 'bare-tfjs') {
    const bare = new BareRunner(c);
    return { impl, run: (n) => bare.steps(n), losses: () => bare.losses, dispose: () => bare.dispose() };
  }
  const probe = new StepProbe({ maxLosses: Infinity });
  const trainer = graftGptTrainer(c, [probe]);
  await trainer.setup();
  return { impl, run: (n) => graftSteps(trainer, probe, n), losses: () => probe.losses, dispose: () => trainer.dispose() };
}

/**
 * Warm-up steps, then timed steps: as many as fit in the allowance at the last warm-up step's pace,
 * within [min, max]. Without warm-up the first timed step gives the pace. Returns the timed steps' ms.
 */
export async function timedSteps(run: (n: number) => Promise<StepTimes>, plan: StepPlan, budget: Budget): Promise<StepTimes> {
  const warm = plan.warmup > 0 ? (await run(plan.warmup)).wall : [];
  const timed: StepTimes[] = [];
  let pace = warm[warm.length - 1];
  if (pace === undefined && plan.max > 0) {
    timed.push(await run(1));
    pace = timed[0]!.wall[0]!;
  }
  const spent = timed.length > 0 ? timed[0]!.wall[0]! : 0;
  const more = planSteps(budget.allowance(plan.allowanceMs) - spent, pace ?? NaN, Math.max(0, plan.min - timed.length), Math.max(0, plan.max - timed.length));
  if (more > 0) timed.push(await run(more));
  return concatTimes(timed);
}

/**
 * (b) The reference-size GPT training step on `backend`, by each of `impls` (Graft's trainer, the
 * bare loop). Each warms up, then their timed steps are interleaved one by one, alternating which
 * goes first, so a change in the machine's load hits both alike. With `profileImpl`, one more step
 * of it runs under tf.profile.
 */
export async function gptThroughput(backend: BenchBackend, impls: Impl[], plan: StepPlan, budget: Budget, profileImpl?: Impl): Promise<{ rows: ThroughputRow[]; profile?: KernelProfile }> {
  const info = await useBackend(backend);
  const before = tf.memory().numTensors;
  const runners: Runner[] = [];
  try {
    for (const impl of impls) runners.push(await makeRunner(impl));
    const paces: number[] = [];
    const firstTimed: StepTimes[] = [];
    for (const r of runners) {
      const warm = await r.run(plan.warmup > 0 ? plan.warmup : 1);
      paces.push(warm.wall[warm.wall.length - 1]!);
      if (plan.warmup === 0) firstTimed.push(warm); // without warm-up the first step counts
    }
    const mid = tf.memory().numTensors;
    const pace = paces.reduce((a, b) => a + b, 0);
    const steps = planSteps(budget.allowance(plan.allowanceMs) - (plan.warmup > 0 ? 0 : pace), pace, Math.max(0, plan.min - (plan.warmup > 0 ? 0 : 1)), Math.max(0, plan.max - (plan.warmup > 0 ? 0 : 1)));
    const times: StepTimes[][] = runners.map((_, i) => (firstTimed[i] === undefined ? [] : [firstTimed[i]!]));
    // The pool's counters over each runner's timed steps (its steps are interleaved with the other's).
    const pools: (PoolCounters | null)[] = runners.map(() => null);
    for (let s = 0; s < steps; s++) {
      const order = s % 2 === 0 ? runners.map((_, i) => i) : runners.map((_, i) => runners.length - 1 - i);
      for (const i of order) {
        const before = threadPoolStats();
        times[i]!.push(await runners[i]!.run(1));
        const after = threadPoolStats();
        if (after != null) {
          const p = (pools[i] ??= { rounds: 0, tasks: 0, helperTasks: 0, mainWaitMs: 0 });
          for (const k of POOL_COUNTERS) p[k] += after[k] - (before?.[k] ?? 0);
        }
      }
    }
    const tensorGrowth = plan.warmup > 0 ? tf.memory().numTensors - mid : null;
    const profRunner = runners.find((r) => r.impl === profileImpl);
    const profile = profRunner ? await kernelProfile(() => profRunner.run(1)) : undefined;
    // Not on cpu or wasm-stock: their products take minutes (and are not what the step's limit is read from).
    const products = (backend === 'wasm' || backend === 'wasm-2t') && impls.includes('graft') ? productsAlone(c) : null;
    const rows = runners.map((r, i): ThroughputRow => {
      const { wall: t, cpu } = concatTimes(times[i]!);
      const stepMs = median(t);
      const losses = r.losses();
      return {
        impl: r.impl,
        backend,
        threads: info.threads ?? 1,
        graftKernels: info.kernels,
        warmupSteps: plan.warmup,
        timedSteps: t.length,
        interleavedWith: runners.length > 1 ? runners[1 - i]?.impl ?? null : null,
        stepMs,
        stepMsMean: mean(t),
        stepCpuMs: median(cpu),
        tokensPerS: (REFERENCE_TOKENS_PER_STEP * 1000) / stepMs,
        gflopsPerS: (REFERENCE_FLOPS_PER_TOKEN * REFERENCE_TOKENS_PER_STEP) / stepMs / 1e6,
        losses: losses.slice(0, 5),
        lossLast: losses[losses.length - 1]!,
        tensorGrowth,
        leakedTensors: 0,
        productsAlone: r.impl === 'graft' ? products : null,
        pool: pools[i] == null || steps === 0 ? null : {
          roundsPerStep: pools[i]!.rounds / steps, tasksPerStep: pools[i]!.tasks / steps, helperTasksPerStep: pools[i]!.helperTasks / steps,
          mainWaitMsPerStep: pools[i]!.mainWaitMs / steps,
        },
      };
    });
    for (const r of runners.splice(0)) r.dispose();
    const leaked = tf.memory().numTensors - before;
    for (const row of rows) row.leakedTensors = leaked;
    return { rows, profile };
  } finally {
    for (const r of runners) r.dispose();
  }
}
