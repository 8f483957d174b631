import { linearWarmup, warmupSteps } from '../shared/warmupSteps.ts';

export interface WarmupCosineOptions {
  warmupSteps?: number;
  warmupFraction: number;
  minLrRatio: number;
}

/**
 * Linear warm-up, then half a cosine from the peak down to `minLrRatio` at `totalSteps`:
 * m = min + (1 - min) (1 + cos(π progress)) / 2, progress = (step - warmup) / (total - warmup).
 */
export function warmupCosine(step: number, totalSteps: number, o: WarmupCosineOptions): number {
  const w = warmupSteps(totalSteps, o);
  if (step < w) return linearWarmup(step, w);
  const progress = Math.min(1, Math.max(0, (step - w) / Math.max(1, totalSteps - w)));
  return o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
