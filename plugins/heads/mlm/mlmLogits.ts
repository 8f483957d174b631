import * as tf from '@tensorflow/tfjs-core';
import { dense, gelu, layerNorm, type ParameterStore } from '../../../core/index.ts';
import { lmLogits } from '../lm/lmLogits.ts';

/** Parameter names of the MLM head (the decoder weight is the tied embedding, not one of these). */
export const MLM_PARAMS = {
  transform: 'head.mlm.transform',
  ln: 'head.mlm.ln',
  bias: 'head.mlm.bias',
} as const;

/**
 * BERT's masked-LM head on features [..., D]:
 *   h = LayerNorm(gelu(x · W_t + b_t)),   logits = h · Eᵀ + b
 * with the transform W_t [D, D], b_t [D] (`head.mlm.transform.*`), the LayerNorm `head.mlm.ln.*`,
 * the decoder E [V, D] the token embedding `embedding` (tied: no kernel of its own) and the output
 * bias b [V] (`head.mlm.bias`). Every weight is read through `params.read`. Returns [..., V].
 */
export function mlmLogits(params: ParameterStore, features: tf.Tensor, embedding: string, training: boolean, eps = 1e-5): tf.Tensor {
  const h = layerNorm(params, MLM_PARAMS.ln, gelu(dense(params, MLM_PARAMS.transform, features, training)), training, eps);
  const E = params.read(embedding, training) as tf.Tensor2D;
  // The bias is added after a plain transposed matMul (lmLogits' fast path on wasm) rather than fused.
  return tf.add(lmLogits(h, E, true), params.read(MLM_PARAMS.bias, training));
}
