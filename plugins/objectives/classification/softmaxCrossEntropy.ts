import * as tf from '@tensorflow/tfjs-core';

export interface CrossEntropyOptions {
  /** Per-class weights [C]; the mean is weighted by the weight of each example's label. */
  classWeights?: tf.Tensor1D;
  /** ε in [0, 1). */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy of logits [N, C] against class ids labels [N], as PyTorch's
 * `F.cross_entropy(logits, labels, weight=w, label_smoothing=ε)` with mean reduction:
 *
 *   nll_i    = -log p_i[y_i]
 *   smooth_i = -Σ_c w_c log p_i[c]                        (w_c = 1 without weights)
 *   loss     = (1-ε) Σ_i w_{y_i} nll_i / Σ_i w_{y_i}  +  (ε / C) Σ_i smooth_i / Σ_i w_{y_i}
 *
 * Without weights the denominators are N.
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, opts: CrossEntropyOptions = {}): tf.Scalar {
  const C = logits.shape[logits.rank - 1]!;
  const eps = opts.labelSmoothing ?? 0;
  const logp = tf.logSoftmax(logits);
  const onehot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, C);
  const nll = tf.neg(tf.sum(tf.mul(logp, onehot), -1)); // [N]
  const w = opts.classWeights;
  const exampleW = w ? tf.gather(w, tf.cast(labels, 'int32')) : undefined; // w_{y_i}
  const denom = exampleW ? tf.sum(exampleW) : tf.scalar(nll.shape[0]!);
  let loss = tf.div(tf.sum(exampleW ? tf.mul(nll, exampleW) : nll), denom);
  if (eps > 0) {
    const smooth = tf.neg(tf.sum(w ? tf.mul(logp, w) : logp, -1)); // [N]
    loss = tf.add(tf.mul(loss, 1 - eps), tf.mul(tf.div(tf.sum(smooth), denom), eps / C));
  }
  return loss as tf.Scalar;
}
