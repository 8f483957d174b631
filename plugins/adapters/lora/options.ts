import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const LORA_OPTIONS = {
  target: {
    type: 'any',
    default: 'backbone.blocks.*.attn.qkv.kernel',
    doc: 'Weight matrices [in, out] to adapt: a glob, a RegExp or a list of them. The default is every GPT block\'s fused attention projection.',
  },
  rank: { type: 'integer', default: 8, min: 1, doc: 'Rank r of the update A [in, r] @ B [r, out]; at most min(in, out).' },
  alpha: { type: 'number', default: 16, min: 0, exclusiveMin: true, doc: 'Scale numerator: the update is (alpha / rank) * A @ B.' },
  dropout: {
    type: 'number',
    default: 0,
    min: 0,
    max: 0.99,
    doc: "Dropout on the low-rank path's input features in training: rows of A, one mask per step (a weight transform does not see the input).",
  },
  trainOnly: { type: 'boolean', default: true, doc: 'Freeze every other parameter (except alsoTrain).' },
  alsoTrain: { type: 'string[]', default: [], doc: 'Patterns of parameters to train besides A and B (e.g. "head.**").' },
} as const satisfies OptionSchema;

export type LoraOptionsInput = InputOptions<typeof LORA_OPTIONS>;
