import type { InputOptions, OptionSchema } from '../../../core/index.ts';

/** A parameter with a vocabulary axis: its slices along `axis` are per token. */
export interface VocabParam {
  /** Model-side name (after `rename`). */
  name: string;
  /** The vocabulary axis: 0 for an embedding [V, D] or a bias [V], 1 for an output kernel [D, V]. */
  axis: number;
}

/** Fits `model:gpt` and `model:awd-lstm` (both `backbone.tokEmbed` [V, D]) and an untied `head:lm` ([D, V] kernel, [V] bias). */
export const DEFAULT_VOCAB_PARAMS: readonly VocabParam[] = [
  { name: 'backbone.tokEmbed', axis: 0 },
  { name: 'head.lm.kernel', axis: 1 },
  { name: 'head.lm.bias', axis: 0 },
];

export const FROM_CHECKPOINT_OPTIONS = {
  path: { type: 'string', doc: 'Checkpoint folder of the earlier stage (written by trainer.save). Required.' },
  select: {
    type: 'any',
    default: 'backbone.**',
    doc: 'Checkpoint parameters to load: a glob, a RegExp or a list of them. The default keeps the new head as built.',
  },
  rename: { type: 'any', doc: 'Prefix mapping of checkpoint names to model names, {from, to}: {from: "encoder.", to: "backbone."}.' },
  strict: {
    type: 'boolean',
    default: true,
    doc: 'Fail when a selected checkpoint parameter has no model counterpart, or a model parameter the selection covers is absent from the checkpoint.',
  },
  remapVocab: {
    type: 'boolean',
    default: true,
    doc: 'When both runs have a tokenizer, re-index vocabulary-sized parameters by token string; new tokens get the mean row.',
  },
  vocabParams: {
    type: 'any',
    default: DEFAULT_VOCAB_PARAMS,
    doc: 'Parameters with a vocabulary axis, [{name, axis}] (model-side names). Listed names absent from the selection are ignored.',
  },
} as const satisfies OptionSchema;

export type FromCheckpointOptionsInput = InputOptions<typeof FROM_CHECKPOINT_OPTIONS>;
