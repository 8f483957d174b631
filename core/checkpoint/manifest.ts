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
}

export interface FileChecksum {
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
}

export const MANIFEST = 'manifest.json';
export const PARAMS_FILE = 'params.safetensors';
export const STATE_FILE = 'state.safetensors';
