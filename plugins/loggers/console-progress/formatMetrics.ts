import type { Metrics } from '../../../core/index.ts';

/** A metric value: 4 decimals in the usual range, exponent notation when tiny or huge. */
export function formatMetricValue(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toFixed(4);
}

/** `eval validation @ step 40: validation_loss 1.2346, accuracy 0.5000`. */
export function formatMetrics(split: string, step: number, metrics: Metrics): string {
  const body = Object.entries(metrics)
    .map(([k, v]) => `${k} ${formatMetricValue(v)}`)
    .join(', ');
  return `eval ${split} @ step ${step}: ${body || '(no metrics)'}`;
}
