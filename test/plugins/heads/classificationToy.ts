import * as tf from '@tensorflow/tfjs-core';
import { Rng, type Batch, type BatchOptions, type DatasetPlugin, type Split, type TrainerApi } from '../../../core/index.ts';

/**
 * A toy text-classification dataset for tests: right-padded token sequences (pad id 0, real
 * tokens 1..vocab-1) of random length in [2, seqLen], labelled by their last real token mod
 * numClasses, so a model must read `lengths` to find the label. Deterministic in (split, epoch, batch).
 */
export class ToyClassificationDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:toy-classification', kind: 'dataset' } as const;
  readonly numClasses: number;
  constructor(readonly opts: { vocab?: number; batches?: number; evalBatches?: number; batchSize?: number; seqLen?: number; numClasses?: number } = {}) {
    this.numClasses = opts.numClasses ?? 3;
  }
  apply(_t: TrainerApi): void {}
  numBatches(split: Split): number {
    return split === 'train' ? (this.opts.batches ?? 6) : (this.opts.evalBatches ?? 2);
  }
  *batches(split: Split, o: BatchOptions): IterableIterator<Batch> {
    const V = this.opts.vocab ?? 9;
    const B = this.opts.batchSize ?? 8;
    const T = this.opts.seqLen ?? 6;
    for (let b = o.from ?? 0; b < this.numBatches(split); b++) {
      const rng = new Rng(1000 * (split === 'train' ? o.epoch + 1 : 0) + 37 * b + (split === 'test' ? 7 : split === 'validation' ? 3 : 0));
      const ids = new Int32Array(B * T);
      const lengths = new Int32Array(B);
      const labels = new Int32Array(B);
      for (let i = 0; i < B; i++) {
        const len = 2 + rng.int(T - 1);
        lengths[i] = len;
        for (let s = 0; s < len; s++) ids[i * T + s] = 1 + rng.int(V - 1);
        labels[i] = ids[i * T + len - 1]! % this.numClasses;
      }
      yield {
        inputs: tf.tensor2d(ids, [B, T], 'int32'),
        lengths: tf.tensor1d(lengths, 'int32'),
        labels: tf.tensor1d(labels, 'int32'),
      };
    }
  }
}
