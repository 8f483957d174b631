import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const MLM_HEAD_OPTIONS = {
  embedding: {
    type: 'string',
    default: 'backbone.tokEmbed',
    doc: 'Token embedding [V, D] the decoder is tied to (read through params.read, so its transforms apply); V and D come from its shape.',
  },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Std of the normal init of head.mlm.transform.kernel.' },
  layerNormEps: { type: 'number', default: 1e-5, min: 0, exclusiveMin: true, doc: "Epsilon of the transform's LayerNorm (BERT uses 1e-12)." },
} as const satisfies OptionSchema;

export type MlmHeadOptions = InputOptions<typeof MLM_HEAD_OPTIONS>;
