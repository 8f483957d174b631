import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import type { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import type { TrainState } from '../trainer/TrainState.ts';
import { writeDirAtomic } from './atomicDir.ts';
import { MANIFEST, PARAMS_FILE, STATE_FILE, type BaseCheckpointRef, type FileChecksum, type Manifest } from './manifest.ts';
import { baseParamName, readBaseCheckpoint } from './readCheckpoint.ts';
import { describeNonFinite, encodeSafetensors, firstNonFinite, type NamedArray } from './safetensors.ts';

/** What a checkpoint is made from; the Trainer satisfies it. */
export interface CheckpointSource {
  readonly params: ParameterStore;
  readonly plugins: readonly GraftPlugin[];
  readonly state: TrainState;
  readonly options: object;
  rngState(): Record<string, number>;
  readonly resources: { get<T>(k: { id: string; __type?: T }): T | undefined };
}

export async function toNamedArray(t: tf.Tensor): Promise<NamedArray> {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const data = (await t.data()) as Float32Array | Int32Array;
  return { dtype, shape: t.shape.slice(), data: dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data) };
}

/** Size and SHA-256 of a file's bytes, as the manifest records them. */
export function checksumOf(bytes: Uint8Array): FileChecksum {
  return { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Throw `GRAFT_ERR_NON_FINITE` if any float tensor about to be written holds NaN or ±Infinity,
 * naming the first such tensor: a checkpoint is finite or it is not written. One pass over the
 * values the save has already read back, cheap next to encoding and writing them.
 */
export function assertFiniteArrays(arrays: Record<string, NamedArray>, what: string, dir: string): void {
  for (const [name, a] of Object.entries(arrays)) {
    const i = firstNonFinite(a.data);
    if (i < 0) continue;
    throw new GraftError(ErrorCodes.NON_FINITE, `refusing to save: ${what} "${name}" holds ${describeNonFinite(a.data as Float32Array, i)}; nothing was written`, {
      file: dir,
      hint: 'The training diverged: usually a learning rate too high, no gradient clipping (callback:grad-clip) or bad data; resume from the last checkpoint with a lower rate',
    });
  }
}

/** What a checkpoint holds of the parameters. */
export type SavedParams = 'all' | 'trainable';

export interface SaveOptions {
  /**
   * `'all'` (default): every parameter and buffer. `'trainable'`: an adapter-only checkpoint on
   * `base`: every trainable parameter, and every other parameter or buffer that is not in the
   * base or differs from it by a single bit (BatchNorm running statistics, a vocabulary re-indexed
   * by the warm start, a layer trained earlier and frozen since); those equal to the base's are
   * left out and listed in the manifest's `base`, with the base's path and SHA-256. Plugin state
   * (optimizer moments) and the run state are saved as always.
   */
  params?: SavedParams;
  /** The base checkpoint the run started from (`CoreResources.baseCheckpoint`); required by `'trainable'`. */
  base?: BaseCheckpointRef;
}

/**
 * Write the whole training state to `dir`, atomically. Refuses (`GRAFT_ERR_NON_FINITE`, nothing
 * written) if a parameter or plugin state tensor is not finite. The manifest records each tensor
 * file's size and SHA-256. With `params: 'trainable'`, parameters equal to the base checkpoint's
 * are left out (see `SaveOptions`); the base is read and verified first (`GRAFT_ERR_BASE_CHECKPOINT`,
 * nothing written, if it changed).
 */
export async function saveCheckpoint(dir: string, src: CheckpointSource, config?: unknown, opts: SaveOptions = {}): Promise<void> {
  const ref = opts.params === 'trainable' ? requireBase(opts.base, dir) : undefined;
  const base = ref ? readBaseCheckpoint(ref, dir).params : undefined;
  const fromBase: string[] = [];
  const params: Record<string, NamedArray> = {};
  const paramMeta: Manifest['params'] = {};
  for (const name of src.params.names()) {
    const e = src.params.entry(name);
    const arr = await toNamedArray(e.variable);
    paramMeta[name] = { role: e.role, trainable: e.trainable, decay: e.decay, owner: e.owner };
    if (base && !e.trainable && sameArray(arr, base[baseParamName(name, ref!.rename)])) fromBase.push(name);
    else params[name] = arr;
  }
  const stateTensors: Record<string, NamedArray> = {};
  const plugins: Manifest['plugins'] = {};
  for (const p of src.plugins) {
    const s = p.getState?.();
    const entry: Manifest['plugins'][string] = { kind: p.meta.kind };
    if (p.options) entry.options = { ...p.options };
    if (s?.json !== undefined) entry.state = s.json;
    if (s?.tensors) {
      entry.tensors = Object.keys(s.tensors);
      for (const [k, t] of Object.entries(s.tensors)) stateTensors[`${p.meta.name}/${k}`] = await toNamedArray(t);
    }
    plugins[p.meta.name] = entry;
  }
  assertFiniteArrays(params, 'parameter', dir);
  assertFiniteArrays(stateTensors, 'state tensor', dir);
  const paramsBytes = encodeSafetensors(params, { format: 'graft' });
  const stateBytes = encodeSafetensors(stateTensors, { format: 'graft' });
  const manifest: Manifest = {
    format: 'graft-checkpoint',
    version: 1,
    created: new Date().toISOString(),
    state: structuredClone(src.state),
    rng: src.rngState(),
    trainerOptions: { ...src.options },
    params: paramMeta,
    plugins,
    ...(config !== undefined ? { config } : {}),
    files: { [PARAMS_FILE]: checksumOf(paramsBytes), [STATE_FILE]: checksumOf(stateBytes) },
    ...(ref ? { base: { ...ref, relativePath: path.relative(path.resolve(dir), path.resolve(ref.path)), params: fromBase } } : {}),
  };
  // Insertion order matters: the manifest goes last, marking the folder complete.
  await writeDirAtomic(dir, {
    [PARAMS_FILE]: paramsBytes,
    [STATE_FILE]: stateBytes,
    [MANIFEST]: JSON.stringify(manifest, null, 2),
  });
}

function requireBase(base: BaseCheckpointRef | undefined, dir: string): BaseCheckpointRef {
  if (base) return base;
  throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, 'an adapter-only checkpoint (params: "trainable") needs the base checkpoint the run started from, and the run has none; nothing was written', {
    file: dir,
    hint: 'Start the run from a checkpoint with init:from-checkpoint (it offers the base as resource "baseCheckpoint"), or save every parameter (params: "all")',
  });
}

/** Same dtype, shape and bytes. */
function sameArray(a: NamedArray, b: NamedArray | undefined): boolean {
  if (!b || a.dtype !== b.dtype || a.shape.join(',') !== b.shape.join(',')) return false;
  const bytes = (x: NamedArray) => Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);
  return bytes(a).equals(bytes(b));
}
