import type { OptionSchema } from '../../../core/index.ts';

export const GPT_OPTIONS = {
  vocabSize: {
    type: 'integer',
    min: 1,
    doc: "Rows of the token embedding. Default: the tokenizer's vocabSize, read at build time.",
  },
  contextLength: { type: 'integer', default: 128, min: 1, doc: 'Longest sequence the model accepts (rows of the position embedding).' },
  nLayers: { type: 'integer', default: 4, min: 1, doc: 'Transformer blocks.' },
  nHeads: { type: 'integer', default: 4, min: 1, doc: 'Attention heads per block; must divide dModel.' },
  dModel: { type: 'integer', default: 128, min: 1, doc: 'Width of the residual stream.' },
  mlpRatio: { type: 'number', default: 4, min: 0, exclusiveMin: true, doc: 'MLP hidden width as a multiple of dModel (rounded).' },
  dropout: { type: 'number', default: 0.1, min: 0, max: 0.99, doc: 'Dropout on embeddings, attention probabilities and residual branches (training only).' },
  bias: { type: 'boolean', default: true, doc: 'Biases in the linear layers (LayerNorms always have beta).' },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Std of the normal init (GPT-2); residual projections get initStd/sqrt(2*nLayers).' },
  causal: { type: 'boolean', default: true, doc: 'Causal (GPT) self-attention; false gives a bidirectional (BERT-style) encoder.' },
} as const satisfies OptionSchema;
