import type { ParamGroupSpec, ParamPattern } from '../../../core/index.ts';

/**
 * Discriminative fine-tuning (Howard & Ruder 2018): one learning-rate group per layer group,
 * bottom to top; the top group keeps the base rate and each one below is `factor` times slower,
 * so group i of n gets lrScale 1 / factor^(n-1-i).
 */
export function discriminativeGroups(layerGroups: readonly ParamPattern[], factor: number): ParamGroupSpec[] {
  const n = layerGroups.length;
  return layerGroups.map((pattern, i) => ({ name: `group${i}`, pattern, lrScale: 1 / factor ** (n - 1 - i) }));
}
