import type { BaseCheckpointRef, Manifest } from '../checkpoint/manifest.ts';
import type { Split } from '../data/Batch.ts';
import { ErrorCodes, GraftError } from '../errors/index.ts';

/** A typed key for a shared value: `const VOCAB = resourceKey<string[]>('vocab')`. */
export interface ResourceKey<T> {
  readonly id: string;
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
}

export function resourceKey<T>(id: string): ResourceKey<T> {
  return { id };
}

/** Values plugins share without knowing each other (a run folder, pre-trained vectors). */
export class Resources {
  private readonly values = new Map<string, unknown>();

  set<T>(key: ResourceKey<T>, value: T): void {
    this.values.set(key.id, value);
  }

  get<T>(key: ResourceKey<T>): T | undefined {
    return this.values.get(key.id) as T | undefined;
  }

  require<T>(key: ResourceKey<T>, who: string): T {
    if (!this.values.has(key.id)) {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `needs resource "${key.id}", which no plugin has provided`, {
        plugin: who,
        hint: 'Add the plugin that provides it, earlier in setup',
      });
    }
    return this.values.get(key.id) as T;
  }

  has(key: ResourceKey<unknown>): boolean {
    return this.values.has(key.id);
  }
}

/** Resources core knows about. */
export const CoreResources = {
  /** The run folder, when the run writes one. */
  runDir: resourceKey<string>('runDir'),
  /**
   * Set during setup when the trainer is resuming from a checkpoint: its manifest. Plugins that
   * must restore something *before* parameters exist (a fitted tokenizer's vocabulary) read
   * their saved state from `manifest.plugins[name].state` here.
   */
  resume: resourceKey<Manifest>('resume'),
  /**
   * The checkpoint the run's frozen parameters came from (`init:from-checkpoint` offers the one it
   * loaded; a full load of an adapter-only checkpoint, its base): what an adapter-only checkpoint
   * (`save(dir, { params: 'trainable' })`) is saved relative to.
   */
  baseCheckpoint: resourceKey<BaseCheckpointRef>('baseCheckpoint'),
  /** The resolved configuration of the run (a preset's), written into every checkpoint's manifest. */
  config: resourceKey<unknown>('config'),
  /**
   * What plugins offer to the result of the run's stage (`callback:sample-text`: `{ sample }`):
   * a preset runner merges it into the stage's `result.json`. Add to it with `offerStageResult`.
   */
  stageResult: resourceKey<Readonly<Record<string, unknown>>>('stageResult'),
  /**
   * What metrics computed beyond numbers in the last evaluation of each split, by split
   * (`metric:confusion-matrix`: `{ confusion: rows }`): plain JSON data, read by whoever reports
   * an evaluation (`callback:test-evaluation`). A metric replaces its keys at every evaluation of
   * the split it reports on. Add to it with `offerEvalDetails`.
   */
  evalDetails: resourceKey<Partial<Record<Split, Readonly<Record<string, unknown>>>>>('evalDetails'),
};

/** Add `values` to the stage result (`CoreResources.stageResult`), keeping what other plugins offered. */
export function offerStageResult(resources: Resources, values: Readonly<Record<string, unknown>>): void {
  resources.set(CoreResources.stageResult, { ...resources.get(CoreResources.stageResult), ...values });
}

/**
 * Add `values` to the evaluation details of `split` (`CoreResources.evalDetails`), keeping what
 * other metrics offered for that split and the details of the other splits.
 */
export function offerEvalDetails(resources: Resources, split: Split, values: Readonly<Record<string, unknown>>): void {
  const all = resources.get(CoreResources.evalDetails);
  resources.set(CoreResources.evalDetails, { ...all, [split]: { ...all?.[split], ...values } });
}
