import { linearWarmup, warmupSteps } from '../shared/warmupSteps.ts';

export interface WarmupLinearOptions {
  warmupSteps?: number;
  warmupFraction: number;
  minLrRatio: number;
}

/**
 * Linear warm-up, then a straight line from the peak down to `minLrRatio` at `totalSteps`:
 * m = 1 - (1 - min) progress, progress = (step - warmup) / (total - warmup).
 */
export function warmupLinear(step: number, totalSteps: number, o: WarmupLinearOptions): number {
  const w = warmupSteps(totalSteps, o);
  if (step < w) return linearWarmup(step, w);
  const progress = Math.min(1, Math.max(0, (step - w) / Math.max(1, totalSteps - w)));
  return 1 - (1 - o.minLrRatio) * progress;
}
