import type { OptionSchema } from '../../../core/index.ts';

export const NEXT_TOKEN_OPTIONS = {
  ignoreIndex: {
    type: 'integer',
    doc: "Targets equal to this id do not count. Default: the tokenizer's pad id if it has one, else -1.",
  },
} as const satisfies OptionSchema;
