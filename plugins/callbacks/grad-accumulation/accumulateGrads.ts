import * as tf from '@tensorflow/tfjs-core';
import type { GradMap } from '../../../core/index.ts';

/**
 * The running sum of micro-batch gradients: `sum + grads`, parameter by parameter, as new tensors
 * (the inputs are left alone). A parameter missing from one side (no gradient in that micro-batch:
 * null, undefined or absent) takes the other side's value; one missing from both stays absent.
 */
export function addGrads(sum: GradMap | undefined, grads: GradMap): GradMap {
  const out: GradMap = {};
  for (const name of new Set([...Object.keys(sum ?? {}), ...Object.keys(grads)])) {
    const s = sum?.[name];
    const g = grads[name];
    if (s != null && g != null) out[name] = tf.add(s, g);
    else if (s != null) out[name] = tf.clone(s);
    else if (g != null) out[name] = tf.clone(g);
  }
  return out;
}

/**
 * The gradient of the mean loss over `n` equal micro-batches: the mean of their gradients,
 * `sum / n` (for a mean-reduced loss, equal to the gradient of one batch of all n·b examples).
 */
export function meanGrads(sum: GradMap, n: number): GradMap {
  const out: GradMap = {};
  for (const [name, s] of Object.entries(sum)) out[name] = n === 1 ? tf.clone(s) : tf.div(s, n);
  return out;
}

/**
 * Whether the optimizer applies the micro-batch just added, the `count`-th of the current cycle
 * (from 1): at the k-th, or earlier at the last batch of the epoch, so every epoch ends on an
 * update and a cycle never spans two epochs (the last one may be shorter, like a short last batch).
 */
export function updateDue(count: number, k: number, lastOfEpoch: boolean): boolean {
  return count >= k || lastOfEpoch;
}
