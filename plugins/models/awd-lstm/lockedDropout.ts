import type * as tf from '@tensorflow/tfjs-core';
import { dropout, type Rng } from '../../../core/index.ts';

/**
 * Locked (variational) dropout on x [B, T, D]: one mask per sequence and feature, the same at every
 * time step (Gal & Ghahramani; AWD-LSTM's LockedDropout). Inverted scaling; identity at evaluation.
 */
export function lockedDropout(x: tf.Tensor, rate: number, training: boolean, rng: Rng): tf.Tensor {
  const [B, , D] = x.shape as [number, number, number];
  return dropout(x, rate, training, rng, [B, 1, D]);
}
