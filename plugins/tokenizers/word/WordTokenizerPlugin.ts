import { resolveOptions, type InputOptions, type PluginMeta, type ResolvedOptions } from '../../../core/index.ts';
import { FittedTokenizerPlugin } from '../FittedTokenizerPlugin.ts';
import { WORD_TOKENIZER, WORD_TOKENIZER_OPTIONS } from './options.ts';
import { WordTokenizer } from './WordTokenizer.ts';

/** `tokenizer:word`: fastai-style word tokenizer (xxmaj, xxup, xxunk), fitted on the dataset or loaded. */
export class WordTokenizerPlugin extends FittedTokenizerPlugin<WordTokenizer> {
  static readonly meta = {
    name: WORD_TOKENIZER,
    kind: 'tokenizer',
    description: 'Word tokenizer with fastai special tokens, for ULMFiT and word-vector models',
  } as const satisfies PluginMeta;
  static readonly options = WORD_TOKENIZER_OPTIONS;
  readonly meta = WordTokenizerPlugin.meta;
  readonly options: Readonly<ResolvedOptions<typeof WORD_TOKENIZER_OPTIONS>>;
  protected readonly tokenizerType = 'word';

  constructor(options: InputOptions<typeof WORD_TOKENIZER_OPTIONS> = {}) {
    super();
    this.options = resolveOptions(this.meta.name, WORD_TOKENIZER_OPTIONS, options);
  }

  protected fit(texts: string[]): WordTokenizer {
    const { from: _from, ...fit } = this.options;
    return WordTokenizer.fit(texts, fit);
  }

  protected fromJSON(json: unknown): WordTokenizer {
    return WordTokenizer.fromJSON(json);
  }
}
