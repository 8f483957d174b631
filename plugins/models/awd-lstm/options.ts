import type { InputOptions, OptionSchema } from '../../../core/index.ts';

/**
 * Defaults are small so the model trains in minutes on 2 CPU cores; the AWD-LSTM paper and
 * ULMFiT use embSize 400, hiddenSize 1150, nLayers 3. Dropout defaults are fastai's language-model
 * configuration (awd_lstm_lm_config); for classifier fine-tuning fastai raises them (about x2).
 */
export const AWD_LSTM_OPTIONS = {
  vocabSize: {
    type: 'integer',
    min: 1,
    doc: "Rows of the token embedding. Default: the tokenizer's vocabSize, read at build time.",
  },
  embSize: { type: 'integer', default: 64, min: 1, doc: 'Embedding width; also the hidden size of the last LSTM layer, so a decoder can be tied to the embedding.' },
  hiddenSize: { type: 'integer', default: 128, min: 1, doc: 'Hidden size of every LSTM layer but the last.' },
  nLayers: { type: 'integer', default: 3, min: 1, doc: 'Stacked LSTM layers.' },
  embedDropout: { type: 'number', default: 0.02, min: 0, max: 0.99, doc: 'Embedding dropout: probability of zeroing a whole word (all its occurrences in the batch).' },
  inputDropout: { type: 'number', default: 0.25, min: 0, max: 0.99, doc: 'Locked (variational) dropout on the embedded input, one mask per sequence.' },
  hiddenDropout: { type: 'number', default: 0.15, min: 0, max: 0.99, doc: 'Locked dropout on the output of every LSTM layer but the last.' },
  outputDropout: { type: 'number', default: 0.1, min: 0, max: 0.99, doc: 'Locked dropout on the last layer output (the features).' },
  weightDropout: { type: 'number', default: 0.2, min: 0, max: 0.99, doc: 'DropConnect on the hidden-to-hidden matrices (backbone.rnn.*.whh), training only.' },
  dropMult: { type: 'number', default: 1, min: 0, doc: "Multiplies every dropout probability of the plugin (fastai's drop_mult), each capped at 0.95; 1 leaves them as given." },
  alpha: { type: 'number', default: 2, min: 0, doc: 'Activation regularisation (AR): alpha * mean(features^2) (the last layer after output dropout), added to the loss.' },
  beta: { type: 'number', default: 1, min: 0, doc: 'Temporal activation regularisation (TAR): beta * mean((h_t - h_{t-1})^2) on rawHidden.' },
  initRange: { type: 'number', default: 0.1, min: 0, exclusiveMin: true, doc: 'Embedding init: uniform in [-initRange, initRange] (as fastai).' },
} as const satisfies OptionSchema;

export type AwdLstmOptionsInput = InputOptions<typeof AWD_LSTM_OPTIONS>;
