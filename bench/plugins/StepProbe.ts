import * as tf from '@tensorflow/tfjs-core';
import type { GraftPlugin, StepContext, TrainerApi } from '../../core/index.ts';

export interface MemorySample {
  step: number;
  numTensors: number;
  rssMB: number;
}

/**
 * `callback:step-probe`: records when each step starts (first tap of `beforeStep`, so step times
 * are start-to-start and include everything the loop does between steps), the first `maxLosses`
 * losses (read asynchronously after the step), and memory at the chosen steps.
 */
export class StepProbe implements GraftPlugin {
  readonly meta = { name: 'callback:step-probe', kind: 'callback' } as const;
  readonly stamps: number[] = [];
  /** Process CPU time (user + system, ms) at the same moments: unlike wall time, not inflated by other processes. */
  readonly cpuStamps: number[] = [];
  readonly losses: number[] = [];
  readonly memory: MemorySample[] = [];

  constructor(readonly opts: { maxLosses?: number; memoryAt?: readonly number[] } = {}) {}

  apply(t: TrainerApi): void {
    t.tap('beforeStep', this, () => {
      this.stamps.push(performance.now());
      this.cpuStamps.push(cpuMs());
    }, { stage: 'first' });
    const maxLosses = this.opts.maxLosses ?? 0;
    const memoryAt = new Set(this.opts.memoryAt ?? []);
    if (maxLosses === 0 && memoryAt.size === 0) return;
    // A promise only on the steps that read a loss: an async tap on every step would make the
    // trainer await each step's afterStep, a cost the bare loop it is compared with does not pay.
    t.tap('afterStep', this, (ctx: StepContext) => {
      if (memoryAt.has(ctx.state.step)) this.memory.push(memorySample(ctx.state.step));
      if (this.losses.length < maxLosses && ctx.loss) return ctx.loss.data().then((d) => void this.losses.push(d[0]!));
      return undefined;
    }, { stage: 'observe' });
  }

  clear(): void {
    this.stamps.length = 0;
    this.cpuStamps.length = 0;
  }
}

/** This process's CPU time so far (user + system), in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function memorySample(step: number): MemorySample {
  return { step, numTensors: tf.memory().numTensors, rssMB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10 };
}
