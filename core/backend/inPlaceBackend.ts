import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_KERNEL } from './kernels/Adamw.ts';
import { isWasmBackend, type WasmBackendLike } from './kernels/heap.ts';

/**
 * The backend graft's in-place optimizer steps (`adamwInPlace`, `sgdInPlace`) may write through:
 * wasm with graft's fast kernels on, judged by its AdamW kernel, registered exactly when they are
 * (SGD has no kernel of its own). Undefined elsewhere: the caller runs the ops and assigns.
 */
export function inPlaceBackend(): WasmBackendLike | undefined {
  const backend = tf.backend();
  return isWasmBackend(backend) && tf.getKernel(ADAMW_KERNEL, 'wasm') != null ? backend : undefined;
}
