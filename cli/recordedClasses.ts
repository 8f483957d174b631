import type { Manifest } from '../core/index.ts';

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');

/**
 * The class names (by id) a checkpoint's labelled dataset recorded: its state's `classes`
 * (`dataset:labelled-text` saves them), else its `labels` option when that fixed them; undefined
 * when the checkpoint does not say (written before class names were saved, labels found in the data).
 */
export function recordedClasses(manifest: Manifest, dataset: string): string[] | undefined {
  const saved = manifest.plugins?.[dataset];
  const state = saved?.state as { classes?: unknown } | undefined;
  if (isStrings(state?.classes)) return [...state.classes];
  const labels = saved?.options?.labels;
  return isStrings(labels) ? [...labels] : undefined;
}
