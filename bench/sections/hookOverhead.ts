import type { GptBenchConfig } from '../config.ts';
import { graftGptTrainer } from '../graftGpt.ts';
import type { Budget } from '../lib/budget.ts';
import type { BenchBackend } from '../lib/parseArgs.ts';
import { hookDispatchUs } from '../lib/hookDispatch.ts';
import { planSteps } from '../lib/planSteps.ts';
import { overheadOfRounds, type Overhead } from '../lib/overheadOfRounds.ts';
import { median } from '../lib/stats.ts';
import { BareRunner, graftSteps, useBackend, type StepTimes } from '../measure.ts';
import { NoopTaps } from '../plugins/NoopTaps.ts';
import { StepProbe } from '../plugins/StepProbe.ts';

export interface HookOverheadResult {
  backend: BenchBackend;
  model: string;
  params: number;
  noopPlugins: number;
  /** Taps called per step: the no-op plugins' plus the probe's. */
  tapsPerStep: number;
  /** Rounds: a block of each of the four loops. */
  pairs: number;
  stepsPerBlock: number;
  /** Untimed rounds run first, as the timed ones run (V8 optimising the trainer's step: see the section). */
  warmupRounds: number;
  /** Timed intervals of each kind of loop (both trainers', both bare loops'). */
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

/** Block orders of the four loops (trainer 1, bare 1, bare 2, trainer 2), a round each in turn: every loop in every position once. */
const ORDERS = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] as const;
/** One turn of the event loop (its check phase: what the trainer's yield clock counts). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

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
 * same math, in blocks taking turns in one process. Two of each, created trainer, bare, bare,
 * trainer: where a model's tensors land in the heap moves a tiny GPT's step by about the target's
 * size (the one created later ran slower), so the two trainers are compared with the two bare
 * loops, which sit in the middle, and each pair of twins gives the instrument's own reading (A/A).
 * The order of the blocks in a round cycles so every loop takes every position. Before each block
 * the event loop gets a turn, as the trainer's own yields give it in a run: the trainer's yield
 * clock then counts its own time only (without the turn it counted the other loops' blocks too and
 * yielded in a block twice as often as in a run); a 4-step block then never yields, so the yield
 * (~0.17 % of a tiny GPT's run: bench/README) is not in this figure.
 */
export async function hookOverhead(
  backend: BenchBackend,
  c: GptBenchConfig,
  o: { allowanceMs: number; minPairs: number; maxPairs: number; stepsPerBlock: number; warmupSteps: number; warmupRounds: number },
  budget: Budget,
): Promise<HookOverheadResult> {
  await useBackend(backend);
  const K = o.stepsPerBlock;
  // Intervals between step starts only: each graft block is a fit() call (the bench's way of
  // running K more steps), whose start and end (beforeRun, afterRun, the run's loss check) land in
  // a block's last interval and are a run's cost, not a step's (~0.4 ms; 1 interval in 10 moved the
  // median by a few µs).
  const closeLast = false;
  const newTrainer = async () => {
    const probe = new StepProbe({ maxLosses: 3 });
    const trainer = graftGptTrainer(c, [probe, ...Array.from({ length: NOOP_PLUGINS }, (_, i) => new NoopTaps(i))]);
    // The parameters are made here (a bare loop makes its own in its constructor).
    await trainer.setup().catch((e: unknown) => {
      trainer.dispose();
      throw e;
    });
    return { trainer, probe, steps: (k: number) => graftSteps(trainer, probe, k, closeLast), losses: () => probe.losses, dispose: () => trainer.dispose() };
  };
  const newBare = () => {
    const bare = new BareRunner(c, 3);
    return { steps: (k: number) => bare.steps(k, closeLast), losses: () => bare.losses, dispose: () => bare.dispose() };
  };
  const loops: { steps(k: number): Promise<StepTimes>; losses(): number[]; dispose(): void }[] = [];
  try {
    const first = await newTrainer();
    loops.push(first);
    loops.push(newBare(), newBare());
    loops.push(await newTrainer());
    // Warm-up (JIT: a small model's step is mostly JS, which V8 optimises over many calls; XNNPACK
    // operator caches) and the same-math check on the first three losses.
    for (const l of loops) await l.steps(Math.max(3, o.warmupSteps));
    const ref = loops[0]!.losses();
    const sameLosses = ref.length === 3 && loops.every((l) => l.losses().length === 3 && l.losses().every((x, i) => x === ref[i]));
    /** Round p: a block of each loop in the p-th order, the event loop given a turn before each. */
    const round = async (p: number): Promise<StepTimes[]> => {
      const got: StepTimes[] = [];
      for (const i of ORDERS[p % ORDERS.length]!) {
        await turn();
        got[i] = await loops[i]!.steps(K);
      }
      return got;
    };
    // Then untimed rounds: V8 optimises a function once it has run enough bytecode, so the
    // trainer's per-step functions (called once a step, not hundreds of times as tfjs's are) stay
    // in baseline code for a run's first ~800-1,600 steps (stepThrough, fit: measured with
    // %GetOptimizationStatus); timed before that, the micro GPT's fixed cost read 0.04-0.07 ms,
    // after it 0.02-0.04.
    for (let r = 0; r < o.warmupRounds; r++) await round(r);
    // One block each to size the run.
    let roundMs = 0;
    for (const l of loops) {
      await turn();
      roundMs += median((await l.steps(K)).wall) * K;
    }
    const pairs = planSteps(budget.allowance(o.allowanceMs), roundMs, o.minPairs, o.maxPairs);
    const rounds: StepTimes[][] = [];
    for (let p = 0; p < pairs; p++) rounds.push(await round(p));
    return {
      backend,
      model: `GPT ${c.nLayers} layers, ${c.nHeads} heads, width ${c.dModel}, context ${c.contextLength}, batch ${c.batchSize}, vocab ${c.vocab}`,
      params: first.trainer.params.count(),
      noopPlugins: NOOP_PLUGINS,
      tapsPerStep: NOOP_PLUGINS * NoopTaps.TAPS_PER_STEP + 2,
      pairs,
      stepsPerBlock: K,
      warmupRounds: o.warmupRounds,
      samples: 2 * pairs * (K - 1),
      wall: overheadOfRounds(rounds, 'wall'),
      cpu: overheadOfRounds(rounds, 'cpu'),
      sameLosses,
      losses: { graft: ref.slice(0, 3), bare: loops[1]!.losses().slice(0, 3) },
      dispatchUsPerStep: dispatchOf(c),
    };
  } finally {
    for (const l of loops) l.dispose();
  }
}
