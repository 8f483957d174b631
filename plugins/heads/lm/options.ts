import type { OptionSchema } from '../../../core/index.ts';

export const LM_HEAD_OPTIONS = {
  tied: { type: 'boolean', default: true, doc: 'Tie the output projection to the token embedding (no parameter of its own).' },
  embedding: { type: 'string', default: 'backbone.tokEmbed', doc: 'Parameter [V, D] the tied head reads (through params.read, so its transforms apply).' },
  bias: { type: 'boolean', default: false, doc: 'Untied only: a bias head.lm.bias [V].' },
  vocabSize: { type: 'integer', min: 1, doc: "Untied only: output size. Default: rows of the embedding parameter, else the tokenizer's vocabSize." },
  dModel: { type: 'integer', min: 1, doc: "Untied only: input size. Default: columns of the embedding parameter, else the model's dModel option." },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Untied only: std of the normal init of head.lm.kernel.' },
} as const satisfies OptionSchema;
