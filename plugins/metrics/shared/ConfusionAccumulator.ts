import * as tf from '@tensorflow/tfjs-core';
import { DeviceSum } from './DeviceSum.ts';

/**
 * Accumulates a confusion matrix over evaluation batches on the device: per batch,
 * onehot(labels)ᵀ · onehot(argmax(logits)) is added to a kept [C, C] tensor, so no batch forces a
 * synchronous read; `read` downloads it once at the end. Counts are exact in float32 up to 2^24
 * per cell.
 */
export class ConfusionAccumulator {
  private readonly counts = new DeviceSum();
  private classes = 0;
  /** Examples added since the last reset (from shapes, no read). */
  examples = 0;

  get numClasses(): number {
    return this.classes;
  }

  reset(): void {
    this.counts.reset();
    this.classes = 0;
    this.examples = 0;
  }

  /** Add a batch: logits [B, C], labels [B] int32. Returns the error text if the shapes are wrong. */
  add(logits: tf.Tensor, labels: tf.Tensor): string | undefined {
    if (logits.rank !== 2) return `logits must be [B, C], got shape [${logits.shape}]`;
    const [B, C] = logits.shape as [number, number];
    if (labels.rank !== 1 || labels.shape[0] !== B) return `labels must be [${B}], got shape [${labels.shape}]`;
    if (!this.counts.empty && C !== this.classes) return `logits have ${C} classes in this batch but ${this.classes} before`;
    this.counts.add(
      tf.tidy(() => {
        const truth = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, C);
        const pred = tf.oneHot(tf.argMax(logits, 1) as tf.Tensor1D, C);
        return tf.matMul(tf.cast(truth, 'float32'), tf.cast(pred, 'float32'), true, false);
      }),
    );
    this.classes = C;
    this.examples += B;
    return undefined;
  }

  /** The counts (row = true class, column = predicted) and the number of classes; then resets. */
  async read(): Promise<{ counts: Int32Array; numClasses: number; examples: number }> {
    const C = this.classes;
    const examples = this.examples;
    const data = (await this.counts.read()) ?? new Float32Array(0);
    const counts = Int32Array.from(data, (v) => Math.round(v));
    this.reset();
    return { counts, numClasses: C, examples };
  }

  dispose(): void {
    this.reset();
  }
}
