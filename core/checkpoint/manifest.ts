import type { TrainState } from '../trainer/TrainState.ts';

/** `manifest.json`: everything in a checkpoint that is not a tensor. Documented in checkpoint/README.md. */
export interface Manifest {
  format: 'graft-checkpoint';
  version: 1;
  created: string;
  /** Trainer state: data position (epoch, batchInEpoch), step, metrics. */
  state: TrainState;
  rng: Record<string, number>;
  trainerOptions: Record<string, unknown>;
  /** Per parameter: role, whether it is trainable and decayed, its owner plugin. */
  params: Record<string, { role: 'param' | 'buffer'; trainable: boolean; decay: boolean; owner: string }>;
  /** Per plugin: its resolved options and the JSON part of its state. Tensor parts live in state.safetensors as `<plugin>/<key>`. */
  plugins: Record<string, { kind: string; options?: Record<string, unknown>; state?: unknown; tensors?: string[] }>;
  /** Free-form configuration the caller adds (a preset's resolved config). */
  config?: unknown;
  /**
   * Per tensor file: its size and SHA-256, checked on every read (a mismatch is an error naming
   * the file). Absent in checkpoints written before Graft recorded checksums: those load with a warning.
   */
  files?: Record<string, FileChecksum>;
  /**
   * Only in an adapter-only checkpoint (`save(dir, { params: 'trainable' })`): the base checkpoint
   * it was trained on, and the parameters (`params`, model names) that were left out of
   * `params.safetensors` because they equal the base's. Reading the checkpoint reads them from the
   * base, after checking that its `params.safetensors` still has this SHA-256.
   */
  base?: BaseCheckpointRef & { params: string[] };
}

/** The identity of a base checkpoint: where it is and what its parameters are. */
export interface BaseCheckpointRef {
  /** The checkpoint folder, absolute. */
  path: string;
  /**
   * The same folder relative to the adapter-only checkpoint that names it (written by the save): a
   * run folder moved or copied whole keeps finding a base inside it. Tried when `path` fails.
   */
  relativePath?: string;
  /** SHA-256 (lowercase hex) of its `params.safetensors`, as its manifest records it. */
  sha256: string;
  /** Size of its `params.safetensors`. */
  bytes: number;
  /** The prefix mapping the warm start used, checkpoint names to model names (`init:from-checkpoint`'s `rename`). */
  rename?: { from: string; to: string };
}

export interface FileChecksum {
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
}

export const MANIFEST = 'manifest.json';
export const PARAMS_FILE = 'params.safetensors';
export const STATE_FILE = 'state.safetensors';
