import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { matches, type ParamPattern } from '../params/index.ts';
import type { CheckpointSource } from './saveCheckpoint.ts';
import { readCheckpoint, type CheckpointData } from './readCheckpoint.ts';

export interface LoadOptions {
  /**
   * Load only parameters matching this pattern (`backbone.**`): a warm start. Optimizer, plugin,
   * data-position and random state are then left alone. Default: everything (an exact resume).
   */
  select?: ParamPattern;
  /** Rename parameters on the way in: `{ from: 'encoder.', to: 'backbone.' }` prefix mapping. */
  rename?: { from: string; to: string };
  /** Fail if a selected parameter of the checkpoint has no counterpart in the model (default true). */
  strict?: boolean;
}

export interface LoadTarget extends CheckpointSource {
  setRngState(s: Record<string, number>): void;
}

export async function loadCheckpoint(dir: string, target: LoadTarget, opts: LoadOptions = {}): Promise<CheckpointData> {
  const data = readCheckpoint(dir);
  assignParams(data, target, opts);
  if (opts.select === undefined) restoreRunState(data, target);
  return data;
}

/** Copy the checkpoint's parameters into the store, checking names and shapes. */
export function assignParams(data: CheckpointData, target: Pick<LoadTarget, 'params'>, opts: LoadOptions = {}): string[] {
  const strict = opts.strict ?? true;
  // Check every pair before assigning anything, so a mismatch leaves the model as it was.
  const plan: { name: string; arr: (typeof data.params)[string] }[] = [];
  for (const [srcName, arr] of Object.entries(data.params)) {
    if (opts.select !== undefined && !matches(srcName, opts.select)) continue;
    const name = opts.rename && srcName.startsWith(opts.rename.from) ? opts.rename.to + srcName.slice(opts.rename.from.length) : srcName;
    if (!target.params.has(name)) {
      if (strict) {
        throw new GraftError(ErrorCodes.CHECKPOINT, `checkpoint has parameter "${name}" that the model lacks`, {
          file: data.dir,
          hint: 'Load a subset with `select`, or pass strict: false',
        });
      }
      continue;
    }
    const v = target.params.get(name);
    if (v.shape.join(',') !== arr.shape.join(',')) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `parameter "${name}" has shape [${arr.shape}] in the checkpoint but [${v.shape}] in the model`, {
        file: data.dir,
        hint: 'The model options (sizes, vocabulary) must match the checkpoint',
      });
    }
    plan.push({ name, arr });
  }
  const loaded: string[] = [];
  for (const { name, arr } of plan) {
    const v = target.params.get(name);
    tf.tidy(() => v.assign(tf.tensor(arr.data, arr.shape, arr.dtype)));
    loaded.push(name);
  }
  if (loaded.length === 0) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'no parameter of the checkpoint was loaded', {
      file: data.dir,
      hint: 'Check the `select` pattern against the checkpoint parameter names',
    });
  }
  return loaded;
}

/** Restore the trainer's position, randomness, freezing flags and every plugin's state. */
function restoreRunState(data: CheckpointData, target: LoadTarget): void {
  const m = data.manifest;
  // Limits come from the new run's options (a resumed run may be asked to go further).
  const { training, maxEpochs, maxSteps } = target.state;
  Object.assign(target.state, structuredClone(m.state), { training, maxEpochs, maxSteps });
  target.setRngState(m.rng);
  for (const [name, meta] of Object.entries(m.params)) {
    if (target.params.has(name) && target.params.entry(name).trainable !== meta.trainable) {
      target.params.setTrainable(name, meta.trainable);
    }
  }
  for (const p of target.plugins) {
    const saved = m.plugins[p.meta.name];
    if (!saved || !p.setState) continue;
    const tensors: Record<string, tf.Tensor> = {};
    for (const k of saved.tensors ?? []) {
      const a = data.state[`${p.meta.name}/${k}`];
      if (!a) throw new GraftError(ErrorCodes.CHECKPOINT, `state tensor "${k}" of plugin "${p.meta.name}" is missing`, { file: data.dir });
      tensors[k] = tf.tensor(a.data, a.shape, a.dtype);
    }
    try {
      p.setState({ json: saved.state, tensors });
    } finally {
      // Plugins copy what they keep (tf.keep/variables); the loaded tensors are ours to free.
      tf.dispose(Object.values(tensors));
    }
  }
}
