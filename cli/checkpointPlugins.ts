import path from 'node:path';
import type { GraftPlugin } from '../core/index.ts';
import { effectiveUses, isEmptySlot, resolveHandOvers, type Use } from '../presets/recipe/index.ts';
import { handOversIn } from '../presets/recipe/refs.ts';
import type { CheckpointTarget } from './checkpointTarget.ts';

/**
 * Kinds that only act while training (they update, schedule, freeze, initialise, save or log):
 * a saved model is used without them. Initialisers in particular read other stages' checkpoints,
 * whose weights the checkpoint's own replace anyway.
 */
export const TRAINING_KINDS: ReadonlySet<string> = new Set(['optimizer', 'scheduler', 'lr-groups', 'init', 'freezing', 'callback', 'checkpoint', 'logger']);

/**
 * The plugins of the checkpoint's stage (swaps in place, empty slots left out) whose kind `keep` accepts, built as that
 * stage built them, except: a tokenizer that can load one (`from` option) loads the checkpoint's,
 * as `graft generate` does; `edit` may change a plugin's options first (its constructor validates
 * them); a hand-over left in an option points at that stage's checkpoint in the same run folder;
 * an adapter the checkpoint does not record was folded into the weights (`graft merge`) and is left out.
 */
export function checkpointPlugins(
  t: CheckpointTarget,
  keep: (kind: string) => boolean,
  edit: (u: Use, options: Record<string, unknown>) => Record<string, unknown> = (_u, o) => o,
): GraftPlugin[] {
  const run = path.dirname(path.dirname(t.dir));
  return effectiveUses(t.stage)
    .filter((u) => !isEmptySlot(u) && keep(u.plugin.meta.kind) && !mergedAway(t, u))
    .map((u) => {
      let options: Record<string, unknown> = { ...u.options };
      if (u.plugin.meta.kind === 'tokenizer' && 'from' in u.plugin.options) options.from = t.dir;
      options = edit(u, options);
      const checkpoints = Object.fromEntries(handOversIn(options).map(({ ref }) => [ref.stage, path.join(run, ref.stage, 'checkpoint')]));
      return new u.plugin(resolveHandOvers(options, checkpoints));
    });
}

/** An adapter of the stage that the checkpoint does not record: `graft merge` folded it into the weights. */
function mergedAway(t: CheckpointTarget, u: Use): boolean {
  return u.plugin.meta.kind === 'adapter' && t.manifest.plugins !== undefined && !Object.hasOwn(t.manifest.plugins, u.plugin.meta.name);
}
