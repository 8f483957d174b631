import type { ParamGroupSpec, ParamPattern } from '../../../core/index.ts';

/**
 * Layer-wise learning-rate decay (ELECTRA, Clark et al. 2020; BEiT, Bao et al. 2021): one
 * learning-rate group per layer group, bottom to top. The top group (the head) learns at
 * `headMultiplier` times the base rate and group k of K at `decay^(K-1-k)` times it, so each
 * group learns `decay` times slower than the one above.
 *
 * For a GPT with L blocks and a head, K = L + 3 (embeddings, blocks 0..L-1, final LayerNorm,
 * head): embeddings decay^(L+2), block i decay^(L+1-i), final LayerNorm decay, head 1.
 */
export function layerwiseDecayGroups(layerGroups: readonly ParamPattern[], decay: number, headMultiplier = 1): ParamGroupSpec[] {
  const K = layerGroups.length;
  return layerGroups.map((pattern, k) => ({ name: `group${k}`, pattern, lrScale: k === K - 1 ? headMultiplier : decay ** (K - 1 - k) }));
}

/**
 * The layer groups layer-wise decay works on: the model's, bottom to top, then the head's
 * together as one group on top (a head is one task-specific block, as in ELECTRA). Without head
 * groups, the model's top group is the top.
 */
export function withHeadOnTop(modelGroups: readonly ParamPattern[], headGroups: readonly ParamPattern[]): ParamPattern[] {
  if (headGroups.length === 0) return [...modelGroups];
  const head = headGroups.length === 1 ? headGroups[0]! : headGroups.flatMap((g) => (typeof g === 'string' || g instanceof RegExp ? [g] : [...g]));
  return [...modelGroups, head];
}
