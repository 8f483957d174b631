import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendInfo, type Trainer } from '../core/index.ts';
import { BareGptLoop } from './BareGptLoop.ts';
import type { GptBenchConfig } from './config.ts';
import { benchThreads, type BenchBackend } from './lib/parseArgs.ts';
import { intervals } from './lib/stats.ts';
import { markovTokens } from './lib/markovData.ts';
import { markovTensors } from './plugins/MarkovDataset.ts';
import { cpuMs, type StepProbe } from './plugins/StepProbe.ts';

/** Per-step wall-clock and process CPU times, in ms. */
export interface StepTimes {
  wall: number[];
  cpu: number[];
}

export function concatTimes(list: readonly StepTimes[]): StepTimes {
  return { wall: list.flatMap((t) => t.wall), cpu: list.flatMap((t) => t.cpu) };
}

/**
 * Activates a bench backend: wasm with graft's fast kernels, wasm with the stock ones, wasm on 2
 * threads, or cpu. The thread count is always explicit: wasm's is fixed when it first starts, so a
 * row whose count differs from the running one throws instead of silently running with it (run.ts
 * measures such rows in a child process).
 */
export function useBackend(b: BenchBackend): Promise<BackendInfo> {
  const threads = benchThreads(b);
  if (threads == null) return selectBackend({ prefer: 'cpu' });
  return selectBackend({ prefer: 'wasm', fastKernels: b !== 'wasm-stock', threads });
}

/**
 * Runs `steps` more steps of an already set-up trainer (fit() again with a raised maxSteps; it
 * resumes at its data position) and returns each step's start-to-start time in ms. With
 * `closeLast`, the last step ends when fit() returns (it then includes the run's closing hooks);
 * without, only the `steps - 1` intervals between step starts are returned.
 */
export async function graftSteps(trainer: Trainer, probe: StepProbe, steps: number, closeLast = true): Promise<StepTimes> {
  probe.clear();
  trainer.state.maxSteps = trainer.state.step + steps;
  await trainer.fit();
  const end = performance.now();
  const endCpu = cpuMs();
  return {
    wall: intervals(closeLast ? [...probe.stamps, end] : probe.stamps),
    cpu: intervals(closeLast ? [...probe.cpuStamps, endCpu] : probe.cpuStamps),
  };
}

/** The bare loop with its own position in the reference data, stepped like the trainer. */
export class BareRunner {
  readonly loop: BareGptLoop;
  readonly losses: number[] = [];
  private readonly tokens = markovTokens();
  private index = 0;

  constructor(private readonly c: GptBenchConfig, private readonly maxLosses = Infinity) {
    this.loop = new BareGptLoop(c);
  }

  /**
   * `steps` steps; start-to-start ms of each (see graftSteps for `closeLast`). Each next batch is
   * made at the end of a step, as the trainer's dataset iterator makes it before the next step
   * starts, so both loops' step times include the same work.
   */
  async steps(steps: number, closeLast = true): Promise<StepTimes> {
    const stamps: number[] = [];
    const cpuStamps: number[] = [];
    const next = () => markovTensors(this.tokens, this.index++, this.c.batchSize, this.c.contextLength);
    let batch = steps > 0 ? next() : undefined;
    for (let i = 0; i < steps; i++) {
      stamps.push(performance.now());
      cpuStamps.push(cpuMs());
      const loss = this.loop.step(batch!);
      if (this.losses.length < this.maxLosses) this.losses.push((await loss.data())[0]!);
      loss.dispose();
      batch = i + 1 < steps ? next() : undefined;
    }
    if (closeLast) {
      stamps.push(performance.now());
      cpuStamps.push(cpuMs());
    }
    return { wall: intervals(stamps), cpu: intervals(cpuStamps) };
  }

  dispose(): void {
    this.loop.dispose();
  }
}

export interface KernelShare {
  kernel: string;
  calls: number;
  ms: number;
  percent: number;
}

/**
 * Time per kernel over `f` (tf.profile), largest first. Wrapper entries are left out so nothing
 * counts twice: `*__op`, `unnamed scope`, and `forward` (custom-gradient ops run inside
 * tf.variableGrads' forward scope take its name: graft's fused layer norm, GELU and attention,
 * whose kernels are listed themselves).
 */
export async function kernelProfile(f: () => Promise<unknown>, top = 12): Promise<{ wallMs: number; kernelMs: number; kernels: number; top: KernelShare[] }> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await f();
    return [] as tf.Tensor[];
  });
  const wallMs = performance.now() - t0;
  const by = new Map<string, { calls: number; ms: number }>();
  let count = 0;
  for (const k of info.kernels) {
    if (k.name.endsWith('__op') || k.name === 'unnamed scope' || k.name === 'forward') continue;
    const e = by.get(k.name) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += Number(k.kernelTimeMs) || 0;
    by.set(k.name, e);
    count++;
  }
  const kernelMs = [...by.values()].reduce((a, e) => a + e.ms, 0);
  const sorted = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top);
  return {
    wallMs,
    kernelMs,
    kernels: count,
    top: sorted.map(([kernel, e]) => ({ kernel, calls: e.calls, ms: Math.round(e.ms * 10) / 10, percent: Math.round((1000 * e.ms) / kernelMs) / 10 })),
  };
}
