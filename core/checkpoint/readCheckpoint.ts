import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, GraftError } from '../errors/index.ts';
import { resolveCheckpointDir } from './atomicDir.ts';
import { MANIFEST, PARAMS_FILE, STATE_FILE, type Manifest } from './manifest.ts';
import { decodeSafetensors, type NamedArray } from './safetensors.ts';

export interface CheckpointData {
  dir: string;
  manifest: Manifest;
  params: Record<string, NamedArray>;
  state: Record<string, NamedArray>;
}

/** Read a checkpoint folder (or the survivor of an interrupted save) without touching any trainer. */
export function readCheckpoint(dir: string): CheckpointData {
  const real = resolveCheckpointDir(dir);
  if (!real) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'no checkpoint here (no manifest.json)', {
      file: dir,
      hint: 'Point at a folder written by trainer.save() or the checkpoint plugin',
    });
  }
  const mfile = path.join(real, MANIFEST);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(mfile, 'utf8'));
  } catch (e) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `manifest is not valid JSON: ${(e as Error).message}`, { file: mfile });
  }
  if (manifest.format !== 'graft-checkpoint' || manifest.version !== 1) {
    throw new GraftError(ErrorCodes.CHECKPOINT, 'unknown checkpoint format', {
      file: mfile,
      expected: 'format "graft-checkpoint", version 1',
      received: `${manifest.format} ${manifest.version}`,
    });
  }
  const read = (f: string): Record<string, NamedArray> => {
    const p = path.join(real, f);
    return existsSync(p) ? decodeSafetensors(readFileSync(p), p).arrays : {};
  };
  return { dir: real, manifest, params: read(PARAMS_FILE), state: read(STATE_FILE) };
}
