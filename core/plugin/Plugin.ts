import type * as tf from '@tensorflow/tfjs-core';
import type { TrainerApi } from '../trainer/TrainerApi.ts';

/**
 * Kinds of plugin Graft knows. A kind is open-ended (a third party may invent one), but the
 * ones in `SINGLETON_KINDS` allow exactly one plugin per recipe.
 */
export type PluginKind =
  | 'model'
  | 'head'
  | 'objective'
  | 'optimizer'
  | 'dataset'
  | 'tokenizer'
  | 'scheduler'
  | 'freezing'
  | 'adapter'
  | 'regularizer'
  | 'metric'
  | 'logger'
  | 'checkpoint'
  | 'callback'
  | 'init'
  | (string & {});

/** Kinds with one plugin at most: two models or two schedulers in one recipe is a mistake. */
export const SINGLETON_KINDS: ReadonlySet<string> = new Set(['model', 'head', 'objective', 'optimizer', 'dataset', 'tokenizer', 'scheduler']);

export interface PluginMeta {
  /** `"<kind>:<name>"`, e.g. `"scheduler:slanted-triangular"`. Also the tap name on every hook. */
  readonly name: string;
  readonly kind: PluginKind;
  /** One line: what the plugin does. Shown by `graft list`. */
  readonly description?: string;
  /**
   * Plugins that must be in the same recipe: a full name (`"model:gpt"`), a kind wildcard
   * (`"model:*"`). Checked when the trainer is built.
   */
  readonly dependsOn?: readonly string[];
  /** Plugins that must not be in the same recipe (same syntax as `dependsOn`). */
  readonly conflictsWith?: readonly string[];
  /** Treat this plugin's kind as a singleton even if it is not one of `SINGLETON_KINDS`. */
  readonly singleton?: boolean;
}

/**
 * What a plugin saves in a checkpoint so that a resumed run continues exactly: JSON for counters
 * and flags, tensors for moments and the like (written to the checkpoint's tensor file).
 */
export interface PluginState {
  json?: unknown;
  tensors?: Record<string, tf.Tensor>;
}

/**
 * The plugin contract. A plugin is a small object: metadata, options validated in its
 * constructor, and `apply`, which only taps hooks (and registers parameters, transforms or
 * resources through the trainer). A plain object literal satisfies it as well as a class.
 */
export interface GraftPlugin {
  readonly meta: PluginMeta;
  /** Resolved options, for `describe` and the run's saved configuration. */
  readonly options?: Readonly<Record<string, unknown>>;
  apply(trainer: TrainerApi): void;
  /** State to checkpoint; called by `trainer.save`. Omit if the plugin keeps nothing between steps. */
  getState?(): PluginState | undefined;
  /** Restore what `getState` returned; called by `trainer.load` after setup. */
  setState?(state: PluginState): void;
  /** Free tensors the plugin owns; called when the trainer is disposed. */
  dispose?(): void;
  /**
   * Cheap checks of what the plugin will read from outside the run (files exist and are text,
   * labelled data has two classes or more), made before a run writes anything: `validateRun`
   * (`graft run`, `graft describe`) calls it; the trainer does not. Throws a GraftError naming the
   * file and line; returns warnings (e.g. bytes that are not UTF-8).
   */
  preflight?(): PreflightReport | void;
}

/** What a plugin's `preflight` found that is not an error. */
export interface PreflightReport {
  warnings: string[];
}

export function kindOf(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(0, i);
}
