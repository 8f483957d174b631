import * as tf from '@tensorflow/tfjs-core';
import { resolveOptions, type Batch, type BatchOptions, type DatasetPlugin, type InputOptions, type ResolvedOptions, type Split, type TrainerApi } from '../../core/index.ts';
import { markovBatch, markovTokens, REFERENCE_MARKOV } from '../lib/markovData.ts';

const NAME = 'dataset:markov-bench';

export const MARKOV_DATASET_OPTIONS = {
  batchSize: { type: 'integer', default: 16, min: 1, doc: 'Sequences per batch (B).' },
  contextLength: { type: 'integer', default: 128, min: 1, doc: 'Tokens per sequence (T).' },
  vocab: { type: 'integer', default: REFERENCE_MARKOV.vocab, min: 2, doc: 'Symbols of the Markov chain.' },
  batchesPerEpoch: { type: 'integer', default: 1_000_000, min: 1, doc: 'Training batches per epoch (the stream is endless; this only bounds an epoch).' },
} as const;

/**
 * `dataset:markov-bench`: the PyTorch reference's synthetic data, in memory. Training batch k of
 * the run (epoch * batchesPerEpoch + index) is the reference's `batch_at(toks, k)`, so a Graft run
 * sees exactly the batches gpt_torch.py sees, in the same order. Validation batches use indices
 * past any training run.
 */
export class MarkovDataset implements DatasetPlugin {
  readonly meta = { name: NAME, kind: 'dataset', description: "gpt_torch.py's order-1 Markov data (lowbias32), in memory" } as const;
  readonly options: ResolvedOptions<typeof MARKOV_DATASET_OPTIONS>;
  private readonly tokens: Int32Array;

  constructor(input: InputOptions<typeof MARKOV_DATASET_OPTIONS> = {}) {
    this.options = resolveOptions(NAME, MARKOV_DATASET_OPTIONS, input);
    this.tokens = markovTokens({ ...REFERENCE_MARKOV, vocab: this.options.vocab });
  }

  apply(_trainer: TrainerApi): void {}

  numBatches(split: Split): number {
    return split === 'train' ? this.options.batchesPerEpoch : 4;
  }

  *batches(split: Split, o: BatchOptions): IterableIterator<Batch> {
    const { batchSize: B, contextLength: T, batchesPerEpoch } = this.options;
    const n = this.numBatches(split);
    const first = split === 'train' ? o.epoch * batchesPerEpoch : 2 ** 30;
    for (let b = o.from ?? 0; b < n; b++) yield markovTensors(this.tokens, first + b, B, T);
  }
}

/** Batch number `index` of the reference data as int32 tensors { inputs, targets } [B, T]. */
export function markovTensors(tokens: Int32Array, index: number, B: number, T: number): Batch {
  const { inputs, targets } = markovBatch(tokens, index, B, T);
  return { inputs: tf.tensor2d(inputs, [B, T], 'int32'), targets: tf.tensor2d(targets, [B, T], 'int32') };
}
