export { GptModel, type GptOptions } from './gpt/GptModel.ts';
export { GPT_OPTIONS } from './gpt/GptModel.ts';
export { gptParameterCount, type GptShape } from './gpt/parameterCount.ts';
// GPT's math, to run the same model without the trainer (bench/BareGptLoop.ts does).
export { createGptParameters } from './gpt/createGptParameters.ts';
export { gptBackbone, type BackboneShape as GptBackboneShape } from './gpt/gptBackbone.ts';
export { causalMask, paddingBias } from './gpt/causalMask.ts';
export { AwdLstmModel, AWD_LSTM_EMBEDDING } from './awd-lstm/AwdLstmModel.ts';
export { AWD_LSTM_OPTIONS, type AwdLstmOptionsInput } from './awd-lstm/options.ts';
export { lstmLayer, type LstmWeights } from './awd-lstm/lstm.ts';
export { lockedDropout } from './awd-lstm/lockedDropout.ts';
export { embeddingDropout } from './shared/embeddingDropout.ts';
export { weightDropout } from './awd-lstm/weightDropout.ts';
export { activationRegularization, temporalActivationRegularization } from './awd-lstm/activationRegularization.ts';
export * from './skip-gram/index.ts';
export { EmbeddingBagModel, BAG_EMBEDDING } from './embedding-bag/EmbeddingBagModel.ts';
export { EMBEDDING_BAG_OPTIONS, type EmbeddingBagOptionsInput } from './embedding-bag/options.ts';
