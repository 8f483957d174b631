import type { GptBenchConfig } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';
import type { Budget } from '../lib/budget.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import { hookDispatchUs } from '../lib/hookDispatch.ts';
import { planSteps } from '../lib/planSteps.ts';
import { median, overheadPercent, quantile } from '../lib/stats.ts';
import { BareRunner, graftSteps, useBackend, type StepTimes } from '../measure.ts';
import { NoopTaps } from '../plugins/NoopTaps.ts';
import { StepProbe } from '../plugins/StepProbe.ts';

/** Graft's step time against the bare loop's, by one clock. */
export interface Overhead {
  bareMs: number;
  graftMs: number;
  /** Median graft step minus median bare step. */
  overheadMsPerStep: number;
  /** (graft - bare) / bare of the median step times, in percent. */
  overheadPercent: number;
  /** Median over pairs of each pair's overhead (robust to drift between pairs)... */
  pairedOverheadPercent: number;
  /** ...and the quartiles of the per-pair overheads: how much load moves one pair. */
  pairedQuartilesPercent: [number, number];
}

export interface HookOverheadResult {
  backend: BenchBackend;
  model: string;
  params: number;
  noopPlugins: number;
  /** Taps called per step: the no-op plugins' plus the probe's. */
  tapsPerStep: number;
  pairs: number;
  stepsPerBlock: number;
  /** Timed steps of each loop. */
  samples: number;
  /** Wall-clock time: what a user waits, but inflated by whatever else runs on the machine. */
  wall: Overhead;
  /** This process's CPU time: the work done, far less sensitive to other processes' load. */
  cpu: Overhead;
  /** The first losses of both loops from the same weights and batches: identical when the math is the same. */
  sameLosses: boolean;
  losses: { graft: number[]; bare: number[] };
  /**
   * The hook machinery alone: the nine per-step hooks called with the same no-op taps, nothing
   * else (bench/lib/hookDispatch.ts), in microseconds a step. The trainer-vs-bare difference above
   * also counts the trainer's own per-step work (its tidy scopes, the NaN watch, batch counts).
   */
  dispatchUsPerStep: number;
}

const NOOP_PLUGINS = 8;

function overhead(g: StepTimes[], b: StepTimes[], clock: 'wall' | 'cpu'): Overhead {
  const gm = median(g.flatMap((t) => t[clock]));
  const bm = median(b.flatMap((t) => t[clock]));
  const paired = g.map((t, i) => overheadPercent(median(t[clock]), median(b[i]![clock])));
  return {
    bareMs: bm,
    graftMs: gm,
    overheadMsPerStep: gm - bm,
    overheadPercent: overheadPercent(gm, bm),
    pairedOverheadPercent: median(paired),
    pairedQuartilesPercent: [quantile(paired, 0.25), quantile(paired, 0.75)],
  };
}

/** The per-step hooks of a trainer with only the no-op plugins tapped (not set up: no step runs). */
function dispatchOf(c: GptBenchConfig): number {
  const trainer = graftGptTrainer(c, Array.from({ length: NOOP_PLUGINS }, (_, i) => new NoopTaps(i)));
  try {
    return hookDispatchUs(trainer.hooks);
  } finally {
    trainer.dispose();
  }
}

/**
 * (a) What the trainer's machinery costs per step: a GPT trained by Graft's trainer (the real
 * plugins plus NOOP_PLUGINS callbacks tapping every step hook) and by a bare tfjs loop doing the
 * same math, in interleaved blocks; alternating which goes first (AB BA AB ...) cancels drift in load.
 */
export async function hookOverhead(
  backend: BenchBackend,
  c: GptBenchConfig,
  o: { allowanceMs: number; minPairs: number; maxPairs: number; stepsPerBlock: number; warmupSteps: number },
  budget: Budget,
): Promise<HookOverheadResult> {
  await useBackend(backend);
  const K = o.stepsPerBlock;
  // Intervals between step starts only: each graft block is a fit() call (the bench's way of
  // running K more steps), whose start and end (beforeRun, afterRun, the run's loss check) land in
  // a block's last interval and are a run's cost, not a step's (~0.4 ms; 1 interval in 10 moved the
  // median by a few µs).
  const closeLast = false;
  const probe = new StepProbe({ maxLosses: 3 });
  const noops = Array.from({ length: NOOP_PLUGINS }, (_, i) => new NoopTaps(i));
  const trainer = graftGptTrainer(c, [probe, ...noops]);
  const bare = new BareRunner(c, 3);
  try {
    await trainer.setup();
    // Warm-up (JIT: a small model's step is mostly JS, which V8 optimises over many calls; XNNPACK
    // operator caches) and the same-math check on the first three losses.
    await graftSteps(trainer, probe, Math.max(3, o.warmupSteps));
    await bare.steps(Math.max(3, o.warmupSteps));
    const sameLosses = probe.losses.length === 3 && probe.losses.every((l, i) => l === bare.losses[i]);
    // One block each to size the run.
    const blockMs = median([...(await graftSteps(trainer, probe, K)).wall, ...(await bare.steps(K)).wall]) * K;
    const pairs = planSteps(budget.allowance(o.allowanceMs), 2 * blockMs, o.minPairs, o.maxPairs);
    const g: StepTimes[] = [];
    const b: StepTimes[] = [];
    for (let p = 0; p < pairs; p++) {
      if (p % 2 === 0) {
        b.push(await bare.steps(K, closeLast));
        g.push(await graftSteps(trainer, probe, K, closeLast));
      } else {
        g.push(await graftSteps(trainer, probe, K, closeLast));
        b.push(await bare.steps(K, closeLast));
      }
    }
    return {
      backend,
      model: `GPT ${c.nLayers} layers, ${c.nHeads} heads, width ${c.dModel}, context ${c.contextLength}, batch ${c.batchSize}, vocab ${c.vocab}`,
      params: trainer.params.count(),
      noopPlugins: NOOP_PLUGINS,
      tapsPerStep: NOOP_PLUGINS * NoopTaps.TAPS_PER_STEP + 2,
      pairs,
      stepsPerBlock: K,
      samples: pairs * K,
      wall: overhead(g, b, 'wall'),
      cpu: overhead(g, b, 'cpu'),
      sameLosses,
      losses: { graft: probe.losses.slice(0, 3), bare: bare.losses.slice(0, 3) },
      dispatchUsPerStep: dispatchOf(c),
    };
  } finally {
    trainer.dispose();
    bare.dispose();
  }
}
