import * as tf from '@tensorflow/tfjs-core';
import { embed, type ParameterStore } from '../../../core/index.ts';
import { sgnsScores } from '../../objectives/skip-gram/sgnsLoss.ts';
import { INPUT_EMBED, OUTPUT_EMBED } from './createSkipGramParameters.ts';

/**
 * v_c = tokEmbed[inputs]; with `targets` [B] (and `negatives` [B, K]), u = ctxEmbed[[target,
 * negatives...]] [B, 1 + K, D] and logits = u·v_c [B, 1 + K]. Gathers, so the gradient touches
 * only the rows of the batch's words (as a dense [V, D] tensor, the tfjs way).
 */
export function skipGramForward(
  params: ParameterStore,
  inputs: tf.Tensor,
  targets: tf.Tensor | undefined,
  negatives: tf.Tensor | undefined,
  training: boolean,
): { features: tf.Tensor; logits?: tf.Tensor } {
  const features = embed(params, INPUT_EMBED, inputs, training);
  if (targets === undefined) return { features };
  const B = inputs.shape[0]!;
  const ids = negatives ? tf.concat([tf.reshape(targets, [B, 1]), negatives], 1) : tf.reshape(targets, [B, 1]);
  const outputs = embed(params, OUTPUT_EMBED, ids, training);
  return { features, logits: sgnsScores(features, outputs) };
}
