import * as tf from '@tensorflow/tfjs-core';
import { dropout, type Rng } from '../../../core/index.ts';

/**
 * Look up ids [B, T] in `table` [V, E] with embedding dropout (AWD-LSTM): in training, each word of
 * the vocabulary is dropped with probability `rate` (its whole row is zero, at every occurrence in
 * the batch) and kept rows are scaled by 1/(1-rate). Equivalent to masking the table's rows, but
 * only the looked-up rows are multiplied. Shared by the models that look words up (model:awd-lstm,
 * model:embedding-bag).
 */
export function embeddingDropout(table: tf.Tensor, ids: tf.Tensor, rate: number, training: boolean, rng: Rng): tf.Tensor {
  const [V, E] = table.shape as [number, number];
  const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
  let rows = tf.gather(table, flat);
  if (training && rate > 0) {
    const rowMask = dropout(tf.ones([V, 1]), rate, true, rng); // 0 or 1/(1-rate) per word
    rows = tf.mul(rows, tf.gather(rowMask, flat));
  }
  return tf.reshape(rows, [...ids.shape, E]);
}
