import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger, type Batch, type GraftPlugin, type Trainer } from '../../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

/** The toy recipe (ToyModel: `backbone.embed` [11, 8], `backbone.proj` 8→8 marked with ctx.intercept, `head.out` 8→11) plus `extra`. */
export function toyTrainer(extra: GraftPlugin[] = [], maxSteps = 3, seed = 5): Trainer {
  return createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.5), new ToyDataset({ batches: 8 }), ...extra],
    options: { seed, epochs: 10, maxSteps },
    logger: silentLogger(),
  });
}

/** A fixed validation batch of the toy dataset. */
export function toyBatch(): Batch {
  return new ToyDataset().batches('validation', { epoch: 0 }).next().value as Batch;
}

/** Evaluation-mode logits of `batch`, as a plain array. */
export function logits(tr: Trainer, batch: Batch): Float32Array {
  const out = tf.tidy(() => tr.forward(batch, false).logits!);
  const data = out.dataSync().slice() as Float32Array;
  out.dispose();
  return data;
}

export function snapshot(tr: Trainer): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = tr.params.get(n).dataSync().slice() as Float32Array;
  return out;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

/** a [n, k] @ b [k, m], row-major, in float64. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) out[i * m + j]! += a[i * k + p]! * b[p * m + j]!;
  return out;
}
