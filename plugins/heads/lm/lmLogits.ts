import * as tf from '@tensorflow/tfjs-core';

/**
 * Logits [..., V] from features [..., D]: features @ W with W [D, V] (untied kernel, plus an
 * optional bias), or features @ Eᵀ with a tied embedding E [V, D].
 */
export function lmLogits(features: tf.Tensor, weight: tf.Tensor2D, transposed: boolean, bias?: tf.Tensor): tf.Tensor {
  const shape = features.shape;
  const D = shape[shape.length - 1]!;
  const V = transposed ? weight.shape[0] : weight.shape[1];
  const x = features.rank === 2 ? (features as tf.Tensor2D) : (tf.reshape(features, [-1, D]) as tf.Tensor2D);
  // Without a bias, plain matMul: it runs the BatchMatMul kernel, which graft speeds up on wasm for
  // transposed operands (the fused kernel would take the backend's slow transposed path). Measured:
  // transposeB here is as fast as an explicit transpose of E, and faster for large vocabularies.
  const y = bias ? tf.fused.matMul({ a: x, b: weight, transposeB: transposed, bias }) : tf.matMul(x, weight, false, transposed);
  return features.rank === 2 ? y : tf.reshape(y, [...shape.slice(0, -1), V]);
}
