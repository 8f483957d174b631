import * as tf from '@tensorflow/tfjs-core';

/**
 * A running sum of same-shaped tensors kept on the device across an evaluation's batches, so no
 * batch forces a synchronous read; `read` downloads it once and resets. Metrics and objectives
 * that report split-wide totals (counts, summed losses) share it.
 */
export class DeviceSum {
  private total: tf.Tensor | undefined;

  /** Add `t` (taken over: it is disposed or kept as the new total). */
  add(t: tf.Tensor): void {
    const prev = this.total;
    this.total = tf.keep(prev ? tf.tidy(() => tf.add(prev, t)) : t);
    if (prev) {
      prev.dispose();
      t.dispose();
    }
  }

  /** Whether anything was added since the last reset. */
  get empty(): boolean {
    return this.total === undefined;
  }

  /** The sum's values (undefined when nothing was added); then resets. */
  async read(): Promise<Float32Array | Int32Array | Uint8Array | undefined> {
    const t = this.total;
    if (!t) return undefined;
    try {
      return (await t.data()) as Float32Array;
    } finally {
      this.reset();
    }
  }

  reset(): void {
    this.total?.dispose();
    this.total = undefined;
  }
}
