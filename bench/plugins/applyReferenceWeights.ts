import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError, type ParameterStore } from '../../core/index.ts';
import { referenceParams, referenceValues, type ReferenceShape } from '../lib/referenceWeights.ts';

const EMBEDDINGS = ['backbone.tokEmbed', 'backbone.posEmbed'];

/** The reference sizes of the `model:gpt` parameters in `params` (biases required, as in the reference). */
export function referenceShapeOf(params: ParameterStore): ReferenceShape {
  const tok = params.get('backbone.tokEmbed').shape;
  const pos = params.get('backbone.posEmbed').shape;
  let nLayers = 0;
  while (params.has(`backbone.blocks.${nLayers}.ln1.gamma`)) nLayers++;
  return { vocab: tok[0]!, dModel: tok[1]!, context: pos[0]!, nLayers, mlpHidden: params.get('backbone.blocks.0.mlp.fc.kernel').shape[1]! };
}

/**
 * Overwrite a `model:gpt` store with gpt_torch.py's initial weights. With `decayEmbeddings`, the
 * two embeddings are re-created with `decay: true`: the reference decays every 2-D weight, Graft's
 * convention exempts embeddings, and the bench compares the same math.
 */
export function applyReferenceWeights(params: ParameterStore, opts: { decayEmbeddings: boolean; owner: string }): void {
  const shape = referenceShapeOf(params);
  referenceParams(shape).forEach((p, pid) => {
    if (!params.has(p.name)) {
      throw new GraftError(ErrorCodes.PARAMETER, `the reference weights need "${p.name}" (${p.torchName}), which the model did not create`, {
        plugin: opts.owner,
        hint: 'Use model:gpt with bias: true',
      });
    }
    const v = params.get(p.name);
    if (v.shape.join(',') !== p.shape.join(',')) {
      throw new GraftError(ErrorCodes.PARAMETER, `"${p.name}" has shape [${v.shape}], the reference's ${p.torchName} [${p.shape}]`, { plugin: opts.owner });
    }
    const values = referenceValues(p, pid);
    if (opts.decayEmbeddings && EMBEDDINGS.includes(p.name)) {
      const owner = params.entry(p.name).owner;
      params.remove(p.name, opts.owner);
      params.create(p.name, p.shape, values, { owner, decay: true });
    } else {
      tf.tidy(() => v.assign(tf.tensor(values, p.shape, 'float32')));
    }
  });
}
