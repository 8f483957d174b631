import type { OptionSchema } from '../../core/index.ts';

export const GENERATE_OPTIONS = {
  maxNewTokens: { type: 'integer', default: 32, min: 0, doc: 'Tokens to generate at most.' },
  temperature: { type: 'number', default: 1, min: 0, doc: 'Softmax temperature; 0 is greedy.' },
  topK: { type: 'integer', default: 0, min: 0, doc: 'Sample from the k most likely tokens only (0: all).' },
  topP: { type: 'number', default: 1, min: 0, exclusiveMin: true, max: 1, doc: 'Nucleus sampling mass (1: off).' },
  seed: { type: 'integer', min: 0, doc: "Seed of the sampling stream. Default: a fork of the trainer's Rng." },
  stopAt: { type: 'number[]', default: [], doc: 'Token ids that end generation (the id is kept in the output).' },
  contextLength: { type: 'integer', min: 1, doc: "Window of the forward pass. Default: the model's contextLength (ModelPlugin.contextLength)." },
} as const satisfies OptionSchema;
