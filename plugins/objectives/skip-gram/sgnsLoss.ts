import * as tf from '@tensorflow/tfjs-core';

/**
 * Skip-gram with negative sampling, from scores: `logits` [B, 1 + K] holds u_o·v_c in column 0
 * (the true context) and u_k·v_c in columns 1..K (the negatives). The loss is the mean over the B
 * pairs of −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c) (Mikolov et al. 2013, eq. 4, negated).
 * −log σ(x) is computed as softplus(−x), stable for large |x|. No tidy of its own: it runs inside
 * the trainer's gradient tape, which frees what it makes.
 */
export function sgnsLossFromScores(logits: tf.Tensor): tf.Scalar {
  const K = logits.shape[1]! - 1;
  // -1 for the positive column, +1 for the negatives: −log σ(x) = softplus(−x) and
  // −log σ(−x) = softplus(x), so the loss is one softplus of the signed scores. (tf.logSigmoid's
  // custom gradient lost its saved input inside the trainer's variableGrads on wasm.)
  const sign = tf.tensor1d([-1, ...new Array<number>(K).fill(1)], 'float32');
  return tf.mean(tf.sum(tf.softplus(tf.mul(logits, sign)), 1)) as tf.Scalar;
}

/**
 * The scores of `sgnsLossFromScores`: `centre` [B, D] (v_c, input vectors), `outputs`
 * [B, 1 + K, D] (u_o then the u_k, output vectors) → [B, 1 + K] dot products.
 */
export function sgnsScores(centre: tf.Tensor, outputs: tf.Tensor): tf.Tensor2D {
  return tf.squeeze(tf.matMul(outputs as tf.Tensor3D, tf.expandDims(centre, 2) as tf.Tensor3D), [2]) as tf.Tensor2D;
}

/** The SGNS loss from the vectors themselves: `sgnsLossFromScores(sgnsScores(centre, outputs))`. */
export function sgnsLoss(centre: tf.Tensor, outputs: tf.Tensor): tf.Scalar {
  return sgnsLossFromScores(sgnsScores(centre, outputs));
}
