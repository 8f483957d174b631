import * as tf from '@tensorflow/tfjs-core';
import { isWasmBackend } from './kernels/heap.ts';

/**
 * The first element of `t` as a number, synchronously. On wasm: read from the heap through a view
 * (`dataSync` copies into a new ArrayBuffer, 4-7 µs inside a training step against 0.1 µs for
 * the view; the trainer reads the loss this way every step). Elsewhere `dataSync()[0]`.
 */
export function readScalar(t: tf.Tensor): number {
  const b = tf.backend();
  if (t.dtype === 'float32' && isWasmBackend(b) && b.dataIdMap.get(t.dataId) != null) return b.typedArrayFromHeap(t)[0]!;
  return t.dataSync()[0] as number;
}
