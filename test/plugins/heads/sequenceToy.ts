import * as tf from '@tensorflow/tfjs-core';
import { Rng, type Batch, type BatchOptions, type DatasetPlugin, type Split, type TrainerApi } from '../../../core/index.ts';

/** Ids of the toy sequence task: 0 pad, 1 CLS, class 0 words 2..5, class 1 words 6..9. */
export const SEQ_TOY = { vocab: 10, pad: 0, cls: 1 } as const;

/**
 * A separable toy sequence-classification set for transformer heads: each row is CLS followed by
 * 2..seqLen-1 words of its class's half of the vocabulary, right-padded with `padId` (0 unless
 * given) and with `lengths` counting the CLS. Deterministic in (split, epoch, batch).
 */
export class SeqToyDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:seq-toy', kind: 'dataset' } as const;
  readonly numClasses = 2;
  constructor(readonly opts: { batches?: number; evalBatches?: number; batchSize?: number; seqLen?: number; padId?: number } = {}) {}
  apply(_t: TrainerApi): void {}
  numBatches(split: Split): number {
    return split === 'train' ? (this.opts.batches ?? 6) : (this.opts.evalBatches ?? 2);
  }
  *batches(split: Split, o: BatchOptions): IterableIterator<Batch> {
    const B = this.opts.batchSize ?? 8;
    const T = this.opts.seqLen ?? 6;
    for (let b = o.from ?? 0; b < this.numBatches(split); b++) {
      const rng = new Rng(500 * (split === 'train' ? o.epoch + 1 : 0) + 31 * b + (split === 'test' ? 11 : split === 'validation' ? 5 : 0));
      const ids = new Int32Array(B * T).fill(this.opts.padId ?? SEQ_TOY.pad);
      const lengths = new Int32Array(B);
      const labels = new Int32Array(B);
      for (let i = 0; i < B; i++) {
        const label = rng.int(2);
        const len = 3 + rng.int(T - 2);
        labels[i] = label;
        lengths[i] = len;
        ids[i * T] = SEQ_TOY.cls;
        for (let s = 1; s < len; s++) ids[i * T + s] = 2 + 4 * label + rng.int(4);
      }
      yield { inputs: tf.tensor2d(ids, [B, T], 'int32'), lengths: tf.tensor1d(lengths, 'int32'), labels: tf.tensor1d(labels, 'int32') };
    }
  }
}
