import { resolveOptions, type InputOptions, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { FittedTokenizerPlugin } from '../FittedTokenizerPlugin.ts';
import { ByteBpeTokenizer } from './ByteBpeTokenizer.ts';
import { BYTE_BPE_TOKENIZER, BYTE_BPE_TOKENIZER_OPTIONS, checkByteBpeFitOptions, type ByteBpeFitOptions } from './options.ts';

/** `tokenizer:byte-bpe`: GPT-2-style byte-level BPE, trained on the dataset or loaded. */
export class ByteBpeTokenizerPlugin extends FittedTokenizerPlugin<ByteBpeTokenizer> {
  static readonly meta = {
    name: BYTE_BPE_TOKENIZER,
    kind: 'tokenizer',
    description: 'Byte-level BPE (GPT-2 style): any text round-trips; merges learned on the dataset',
  } as const satisfies PluginMeta;
  static readonly options = BYTE_BPE_TOKENIZER_OPTIONS;
  readonly meta = ByteBpeTokenizerPlugin.meta;
  readonly options: Readonly<ResolvedOptions<typeof BYTE_BPE_TOKENIZER_OPTIONS>>;
  protected readonly tokenizerType = 'byte-bpe';
  private readonly fitOptions: ByteBpeFitOptions;

  constructor(options: InputOptions<typeof BYTE_BPE_TOKENIZER_OPTIONS> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, BYTE_BPE_TOKENIZER_OPTIONS, options);
    this.fitOptions = checkByteBpeFitOptions(this.options);
  }

  protected fit(texts: string[]): ByteBpeTokenizer {
    return ByteBpeTokenizer.fit(texts, this.fitOptions);
  }

  protected fromJSON(json: unknown): ByteBpeTokenizer {
    return ByteBpeTokenizer.fromJSON(json);
  }
}
