import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { matches, type ParamPattern } from '../params/index.ts';
import type { CheckpointSource } from './saveCheckpoint.ts';
import { readCheckpoint, type CheckpointData } from './readCheckpoint.ts';
import { PARAMS_FILE, STATE_FILE } from './manifest.ts';
import type { NamedArray } from './safetensors.ts';

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
  /**
   * Where the base checkpoint of an adapter-only checkpoint is, when not at the path its manifest
   * records (moved). Its SHA-256 is checked all the same (`GRAFT_ERR_BASE_CHECKPOINT`).
   */
  base?: string;
}

export interface LoadTarget extends CheckpointSource {
  setRngState(s: Record<string, number>): void;
  /** Where notes and warnings go (the Trainer's logger); optional. */
  readonly logger?: { info(message: string): unknown; warn(message: string): unknown };
}

/**
 * Load a checkpoint into `target`. Everything is read and checked first (`readCheckpoint`: checksums,
 * layout, finiteness; then names, dtypes and shapes against the model, and, for a full load, that
 * every model parameter is in the file and every plugin state tensor is there): a failure leaves
 * the model untouched. A full load (no `select`) then restores the run state too.
 */
export async function loadCheckpoint(dir: string, target: LoadTarget, opts: LoadOptions = {}): Promise<CheckpointData> {
  const logger = target.logger;
  // An adapter-only checkpoint reads as the full one (its base verified and overlaid).
  const data = readCheckpoint(dir, { ...(logger ? { warn: (m: string) => void logger.warn(m) } : {}), ...(opts.base !== undefined ? { base: opts.base } : {}) });
  const full = opts.select === undefined;
  const plan = planParams(data, target, opts);
  if (full) checkStateTensors(data, target);
  applyParams(plan, target);
  if (full) restoreRunState(data, target);
  return data;
}

/**
 * Copy the checkpoint's parameters into the store, checking names, dtypes and shapes of every one
 * before assigning any (a mismatch leaves the model as it was). Without `select` (a full load)
 * every model parameter must be in the checkpoint, except those of plugins the checkpoint does
 * not know (added to this recipe: they keep their initial values).
 */
export function assignParams(data: CheckpointData, target: Pick<LoadTarget, 'params'> & { logger?: LoadTarget['logger'] }, opts: LoadOptions = {}): string[] {
  return applyParams(planParams(data, target, opts), target);
}

type ParamPlan = { name: string; srcName: string; arr: NamedArray }[];

function planParams(data: CheckpointData, target: Pick<LoadTarget, 'params'> & { logger?: LoadTarget['logger'] }, opts: LoadOptions): ParamPlan {
  const strict = opts.strict ?? true;
  const file = path.join(data.dir, PARAMS_FILE);
  const plan: ParamPlan = [];
  for (const [srcName, arr] of Object.entries(data.params)) {
    if (opts.select !== undefined && !matches(srcName, opts.select)) continue;
    const name = opts.rename && srcName.startsWith(opts.rename.from) ? opts.rename.to + srcName.slice(opts.rename.from.length) : srcName;
    if (!target.params.has(name)) {
      if (strict) {
        throw new GraftError(ErrorCodes.CHECKPOINT, `checkpoint has parameter "${name}" that the model lacks`, {
          file,
          hint: 'Load a subset with `select`, or pass strict: false',
        });
      }
      continue;
    }
    const v = target.params.get(name);
    if (v.dtype !== arr.dtype) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `parameter "${srcName}" is ${arr.dtype} in the checkpoint but ${v.dtype} in the model`, {
        file,
        hint: 'The file was written by another model, or damaged; nothing was loaded',
      });
    }
    if (v.shape.join(',') !== arr.shape.join(',')) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `parameter "${name}" has shape [${arr.shape}] in the checkpoint but [${v.shape}] in the model`, {
        file,
        hint: 'The model options (sizes, vocabulary) must match the checkpoint',
      });
    }
    plan.push({ name, srcName, arr });
  }
  if (plan.length === 0) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'no parameter of the checkpoint was loaded', {
      file: data.dir,
      hint: 'Check the `select` pattern against the checkpoint parameter names',
    });
  }
  if (opts.select === undefined) checkEveryParam(data, target, plan);
  return plan;
}

/** A full load restores every model parameter; only those of plugins the checkpoint does not know may be absent. */
function checkEveryParam(data: CheckpointData, target: Pick<LoadTarget, 'params'> & { logger?: LoadTarget['logger'] }, plan: ParamPlan): void {
  const loaded = new Set(plan.map((p) => p.name));
  const savedParams = data.manifest.params ?? {};
  const savedPlugins = data.manifest.plugins ?? {};
  const missing: string[] = [];
  const fresh: string[] = [];
  for (const name of target.params.names()) {
    if (loaded.has(name)) continue;
    const owner = target.params.entry(name).owner;
    (Object.hasOwn(savedParams, name) || Object.hasOwn(savedPlugins, owner) ? missing : fresh).push(name);
  }
  if (missing.length) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `model parameter "${missing[0]}" is missing from the checkpoint${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`, {
      file: path.join(data.dir, PARAMS_FILE),
      hint: 'A full load (resume, load without `select`) restores every parameter; a warm start of some parameters is load(dir, { select }) or init:from-checkpoint',
    });
  }
  if (fresh.length) {
    target.logger?.info(`checkpoint ${data.dir}: ${fresh.length} parameters of plugins it does not know keep their initial values (${fresh.slice(0, 5).join(', ')}${fresh.length > 5 ? ', ...' : ''})`);
  }
}

function applyParams(plan: ParamPlan, target: Pick<LoadTarget, 'params'>): string[] {
  const loaded: string[] = [];
  for (const { name, arr } of plan) {
    const v = target.params.get(name);
    tf.tidy(() => v.assign(tf.tensor(arr.data, arr.shape, arr.dtype)));
    loaded.push(name);
  }
  return loaded;
}

/**
 * Before anything is assigned: every state tensor a plugin of this recipe saved is in the file,
 * with the dtype of the tensor the plugin holds under that key now, if it holds one.
 */
function checkStateTensors(data: CheckpointData, target: LoadTarget): void {
  const file = path.join(data.dir, STATE_FILE);
  for (const p of target.plugins) {
    const saved = data.manifest.plugins?.[p.meta.name];
    if (!saved || !p.setState || !saved.tensors?.length) continue;
    const current = p.getState?.()?.tensors ?? {};
    for (const k of saved.tensors) {
      const key = `${p.meta.name}/${k}`;
      const a = data.state[key];
      if (!a) throw new GraftError(ErrorCodes.CHECKPOINT, `state tensor "${key}" of plugin "${p.meta.name}" is missing`, { file });
      const now = current[k];
      if (now && now.dtype !== a.dtype) {
        throw new GraftError(ErrorCodes.CHECKPOINT, `state tensor "${key}" is ${a.dtype} in the checkpoint but ${now.dtype} in plugin "${p.meta.name}"`, { file });
      }
    }
  }
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
    try {
      for (const k of saved.tensors ?? []) {
        const a = data.state[`${p.meta.name}/${k}`];
        if (!a) throw new GraftError(ErrorCodes.CHECKPOINT, `state tensor "${k}" of plugin "${p.meta.name}" is missing`, { file: path.join(data.dir, STATE_FILE) });
        tensors[k] = tf.tensor(a.data, a.shape, a.dtype);
      }
      p.setState({ json: saved.state, tensors });
    } finally {
      // Plugins copy what they keep (tf.keep/variables); the loaded tensors are ours to free.
      tf.dispose(Object.values(tensors));
    }
  }
}
