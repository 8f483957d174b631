import type { OptionSchema } from '../../../core/index.ts';

export const INSTRUCTIONS_OPTIONS = {
  source: {
    type: 'string',
    default: '',
    doc: 'Training examples: a JSONL file (one { prompt, response, system?, task? } or { messages: [{ role, content }], task? } a line), or set:<name>, a registered instruction set with its own splits (set:corpora: the instruction-tune preset\'s, built from the shipped corpora). Examples may also be given in code (the constructor\'s second argument).',
  },
  validation: { type: 'string', default: '', doc: "A file source only: validation examples (JSONL); '' none." },
  test: { type: 'string', default: '', doc: "A file source only: test examples (JSONL), e.g. held-out tasks; '' none." },
  setOptions: { type: 'any', default: {}, doc: 'Options of the set:<name> builder (for set:corpora: seed, counts per task, held-out tasks).' },
  tasks: { type: 'string[]', default: [] as string[], doc: 'Train only on examples of these tasks ([] = all); validation and test keep every task.' },
  chatTemplate: {
    type: 'any',
    default: 'default',
    doc: "The chat template added to the tokenizer before encoding: 'default' (<|system|>, <|user|>, <|assistant|>, <|end|>) or { version: 1, system, user, assistant, endOfTurn } token strings. A tokenizer loaded with a template keeps it (a different one is an error).",
  },
  maxLen: {
    type: 'integer',
    default: 128,
    min: 2,
    doc: 'Inputs per row T (the model\'s context); every batch is padded to it. A longer conversation loses prompt tokens from the left (its first token kept); one whose reply alone does not fit is an error naming file and line.',
  },
  batchSize: { type: 'integer', default: 16, min: 1, doc: 'Examples per batch.' },
  dropLast: { type: 'boolean', default: false, doc: 'Drop the last partial training batch of each epoch when there is a full one.' },
  maxValidationBatches: { type: 'integer', default: 0, min: 0, doc: 'Evaluate on at most this many validation batches (0 = all).' },
} as const satisfies OptionSchema;
