import { matches, type ParamPattern } from '../../../core/index.ts';

export interface Rename {
  from: string;
  to: string;
}

/** Which checkpoint parameter goes to which model parameter, and what does not fit. */
export interface WarmStartPlan {
  /** Selected checkpoint name → model name, for names present on both sides. */
  pairs: { from: string; to: string }[];
  /** Selected checkpoint parameters the model lacks. */
  unexpected: string[];
  /** Model parameters that the selection covers (after renaming) but the checkpoint lacks. */
  missing: string[];
}

/** The model name of a checkpoint name: the `rename` prefix swapped, as `assignParams` does it. */
export function targetName(name: string, rename?: Rename): string {
  return rename && name.startsWith(rename.from) ? rename.to + name.slice(rename.from.length) : name;
}

/**
 * Match the checkpoint's names against the model's, in both directions (as PyTorch's strict
 * `load_state_dict` does): a selected checkpoint parameter with no model counterpart is
 * unexpected; a model parameter the selection would cover but the checkpoint lacks is missing.
 */
export function planWarmStart(
  checkpointNames: Iterable<string>,
  modelNames: Iterable<string>,
  select: ParamPattern,
  rename?: Rename,
): WarmStartPlan {
  const model = new Set(modelNames);
  const pairs: WarmStartPlan['pairs'] = [];
  const unexpected: string[] = [];
  const covered = new Set<string>();
  const ckpt = new Set<string>();
  for (const from of checkpointNames) {
    ckpt.add(from);
    if (!matches(from, select)) continue;
    const to = targetName(from, rename);
    if (model.has(to)) {
      pairs.push({ from, to });
      covered.add(to);
    } else {
      unexpected.push(from);
    }
  }
  const missing: string[] = [];
  for (const to of model) {
    if (covered.has(to)) continue;
    const from = rename && to.startsWith(rename.to) ? rename.from + to.slice(rename.to.length) : to;
    if (matches(from, select) && !ckpt.has(from)) missing.push(to);
  }
  return { pairs, unexpected, missing };
}
