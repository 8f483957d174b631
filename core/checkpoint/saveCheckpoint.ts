import type * as tf from '@tensorflow/tfjs-core';
import type { ParameterStore } from '../params/index.ts';
import type { GraftPlugin } from '../plugin/Plugin.ts';
import type { TrainState } from '../trainer/TrainState.ts';
import { writeDirAtomic } from './atomicDir.ts';
import { MANIFEST, PARAMS_FILE, STATE_FILE, type Manifest } from './manifest.ts';
import { encodeSafetensors, type NamedArray } from './safetensors.ts';

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

/** Write the whole training state to `dir`, atomically. */
export async function saveCheckpoint(dir: string, src: CheckpointSource, config?: unknown): Promise<void> {
  const params: Record<string, NamedArray> = {};
  const paramMeta: Manifest['params'] = {};
  for (const name of src.params.names()) {
    const e = src.params.entry(name);
    params[name] = await toNamedArray(e.variable);
    paramMeta[name] = { role: e.role, trainable: e.trainable, decay: e.decay, owner: e.owner };
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
  };
  // Insertion order matters: the manifest goes last, marking the folder complete.
  await writeDirAtomic(dir, {
    [PARAMS_FILE]: encodeSafetensors(params, { format: 'graft' }),
    [STATE_FILE]: encodeSafetensors(stateTensors, { format: 'graft' }),
    [MANIFEST]: JSON.stringify(manifest, null, 2),
  });
}
