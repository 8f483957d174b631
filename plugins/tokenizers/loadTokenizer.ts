import { ErrorCodes, GraftError, type Tokenizer } from '../../core/index.ts';
import { ByteBpeTokenizer } from './byte-bpe/ByteBpeTokenizer.ts';
import { CharTokenizer } from './char/CharTokenizer.ts';
import { restoreChatTemplate } from './chatTemplate.ts';
import { WordTokenizer } from './word/WordTokenizer.ts';

/** `fromJSON` of each tokenizer type, by the `type` field its `toJSON()` writes. */
export const TOKENIZER_TYPES: Readonly<Record<string, (json: unknown) => Tokenizer>> = {
  char: CharTokenizer.fromJSON,
  'byte-bpe': ByteBpeTokenizer.fromJSON,
  word: WordTokenizer.fromJSON,
};

/** Rebuild any tokenizer from its `toJSON()` output, dispatching on `type`; with its chat template if it saved one. */
export function loadTokenizer(json: unknown): Tokenizer {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  const load = typeof type === 'string' && Object.hasOwn(TOKENIZER_TYPES, type) ? TOKENIZER_TYPES[type] : undefined;
  if (load === undefined) {
    throw new GraftError(ErrorCodes.DATA, 'unknown tokenizer type', {
      expected: `an object whose "type" is one of ${Object.keys(TOKENIZER_TYPES).join(', ')}`,
      received: type,
    });
  }
  return restoreChatTemplate(json, load(json));
}
