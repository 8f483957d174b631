import { resolveOptions, type InputOptions, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { FittedTokenizerPlugin } from '../FittedTokenizerPlugin.ts';
import { CharTokenizer } from './CharTokenizer.ts';
import { CHAR_TOKENIZER, CHAR_TOKENIZER_OPTIONS, checkCharFitOptions, type CharFitOptions } from './options.ts';

/** `tokenizer:char`: a code-point tokenizer with byte fallback, fitted on the dataset or loaded. */
export class CharTokenizerPlugin extends FittedTokenizerPlugin<CharTokenizer> {
  static readonly meta = {
    name: CHAR_TOKENIZER,
    kind: 'tokenizer',
    description: 'Character (code point) tokenizer with UTF-8 byte fallback: any text round-trips',
  } as const satisfies PluginMeta;
  static readonly options = CHAR_TOKENIZER_OPTIONS;
  readonly meta = CharTokenizerPlugin.meta;
  readonly options: Readonly<ResolvedOptions<typeof CHAR_TOKENIZER_OPTIONS>>;
  protected readonly tokenizerType = 'char';
  private readonly fitOptions: CharFitOptions;

  constructor(options: InputOptions<typeof CHAR_TOKENIZER_OPTIONS> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, CHAR_TOKENIZER_OPTIONS, options);
    this.fitOptions = checkCharFitOptions(this.options);
  }

  protected fit(texts: string[]): CharTokenizer {
    return CharTokenizer.fit(texts, this.fitOptions);
  }

  protected fromJSON(json: unknown): CharTokenizer {
    return CharTokenizer.fromJSON(json);
  }
}
