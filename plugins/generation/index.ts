export { sampleToken, argmax, topKIndices, type SampleOptions } from './sampleToken.ts';
export { generate, type GenerateOptions, type Generator } from './generate.ts';
export { generateText } from './generateText.ts';
export { GENERATE_OPTIONS } from './options.ts';
export { sampleText } from './sampleText.ts';
export { generateChat, type ChatReply } from './generateChat.ts';
