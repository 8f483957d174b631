export { CharTokenizer, type CharTokenizerJSON } from './char/CharTokenizer.ts';
export { CharTokenizerPlugin } from './char/CharTokenizerPlugin.ts';
export { CHAR_TOKENIZER_OPTIONS, CHAR_FIT_OPTIONS, type CharFitOptions } from './char/options.ts';
export { ByteBpeTokenizer, type ByteBpeTokenizerJSON } from './byte-bpe/ByteBpeTokenizer.ts';
export { ByteBpeTokenizerPlugin } from './byte-bpe/ByteBpeTokenizerPlugin.ts';
export { BYTE_BPE_TOKENIZER_OPTIONS, BYTE_BPE_FIT_OPTIONS, type ByteBpeFitOptions } from './byte-bpe/options.ts';
export { learnMerges } from './byte-bpe/learnMerges.ts';
export { applyMerges } from './byte-bpe/applyMerges.ts';
export { GPT2_PATTERN, compilePattern, forEachPiece } from './byte-bpe/pretokenize.ts';
export { WordTokenizer, WORD_SPECIALS, type WordTokenizerJSON } from './word/WordTokenizer.ts';
export { WordTokenizerPlugin } from './word/WordTokenizerPlugin.ts';
export { WORD_TOKENIZER_OPTIONS, WORD_FIT_OPTIONS, type WordFitOptions } from './word/options.ts';
export { FittedTokenizerPlugin, type TokenizerOrigin } from './FittedTokenizerPlugin.ts';
export { loadTokenizer, TOKENIZER_TYPES } from './loadTokenizer.ts';
export { readTokenizerJson } from './readTokenizerJson.ts';
export { SPECIAL_ORDER, type DecodeOptions } from './specials.ts';
export {
  applyChatTemplate,
  chatTemplateOf,
  checkChatTemplate,
  withChatTemplate,
  restoreChatTemplate,
  ChatTokenizer,
  CHAT_ROLES,
  DEFAULT_CHAT_TEMPLATE,
  type ChatMessage,
  type ChatRole,
  type ChatTemplate,
  type ChatTokens,
  type ResolvedChatTemplate,
} from './chatTemplate.ts';
export { specialIds } from './specialIds.ts';
