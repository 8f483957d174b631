import * as tf from '@tensorflow/tfjs-core';

/**
 * One evaluation batch's totals over its masked positions, as a [2] tensor: [Σ nll, n] with
 * n = the number of non-zero entries of `mask` and Σ nll = `meanLoss` · n, the batch's summed
 * cross-entropy (the loss is the mean over exactly those positions). Added up over the batches
 * of an evaluation, they give the token-weighted mean over every masked token of the split.
 */
export function maskedTotals(meanLoss: tf.Scalar, mask: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const n = tf.sum(tf.cast(tf.notEqual(mask, 0), 'float32'));
    return tf.stack([tf.mul(meanLoss, n), n]) as tf.Tensor1D;
  });
}

/** exp(Σ nll / n): perplexity over the masked tokens (undefined when nothing was masked). */
export function maskedPerplexity(nllSum: number, count: number): number | undefined {
  return count > 0 ? Math.exp(nllSum / count) : undefined;
}
