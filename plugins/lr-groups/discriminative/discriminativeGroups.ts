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

/**
 * `layerGroups` with the groups named in `top` (by pattern) moved above all others, in the order
 * listed (a name listed twice counts once); the first name that is not one of the groups, if any,
 * instead.
 */
export function withTopGroups(layerGroups: readonly ParamPattern[], top: readonly string[]): ParamPattern[] | string {
  const names = [...new Set(top)];
  const missing = names.find((t) => !layerGroups.some((g) => String(g) === t));
  if (missing !== undefined) return missing;
  return [...layerGroups.filter((g) => !names.includes(String(g))), ...names.map((t) => layerGroups.find((g) => String(g) === t)!)];
}
