import type { InputOptions, OptionSchema } from '../../../core/index.ts';

export const SEQUENCE_CLASSIFIER_OPTIONS = {
  numClasses: {
    type: 'integer',
    min: 2,
    doc: "Output classes. Default: the dataset's numClasses, read at build time.",
  },
  inputSize: {
    type: 'integer',
    min: 1,
    doc: "Width D of the backbone features [B, T, D]. Default: the model plugin's featureSize.",
  },
  pooling: {
    type: 'enum',
    values: ['auto', 'first', 'mean', 'last'],
    default: 'auto',
    doc:
      'How [B, T, D] becomes [B, D] (right padding, real lengths from batch.lengths): first = position 0 (CLS/BOS; see the dataset\'s prependBos), ' +
      'mean = mean over the real positions, last = the last real position (lengths - 1; what a causal model needs), ' +
      "auto = last when the model plugin reports causal: true, else first.",
  },
  pooler: { type: 'boolean', default: false, doc: "BERT's pooler after pooling: dense D → D and tanh (head.cls.pooler.kernel|bias)." },
  hidden: { type: 'number[]', default: [] as number[], doc: 'Widths of hidden layers (dropout → dense → activation, head.cls.hidden.{k}) between the pooled vector and the output layer.' },
  activation: { type: 'enum', values: ['gelu', 'relu', 'tanh'], default: 'gelu', doc: 'Activation of the hidden layers.' },
  dropout: { type: 'number', default: 0.1, min: 0, max: 0.99, doc: 'Dropout before each hidden layer and before the output layer (training only).' },
  initStd: { type: 'number', default: 0.02, min: 0, exclusiveMin: true, doc: 'Std of the normal init of every kernel (BERT / GPT-2); biases start at 0.' },
} as const satisfies OptionSchema;

export type SequenceClassifierHeadOptionsInput = InputOptions<typeof SEQUENCE_CLASSIFIER_OPTIONS>;
