import {
  CoreResources,
  ErrorCodes,
  GraftError,
  type PluginMeta,
  type PluginState,
  type Tokenizer,
  type TokenizerPlugin,
  type TrainerApi,
} from '../../core/index.ts';
import { ChatTokenizer, restoreChatTemplate, withChatTemplate, type ChatTemplate } from './chatTemplate.ts';
import { readTokenizerJson } from './readTokenizerJson.ts';

/** Where a plugin's tokenizer came from. */
export type TokenizerOrigin = 'resume' | 'from' | 'fit';

/**
 * What every tokenizer plugin does, whatever the tokenizer: in `setup` at stage `tokenizer`, take
 * the tokenizer from the checkpoint being resumed if it has one for this plugin, else load it
 * from the `from` option, else fit it on the dataset's training texts. Its JSON is the plugin's
 * checkpoint state, so the vocabulary travels with the weights from pre-training to fine-tuning.
 * A subclass gives its metadata, options, tokenizer type and how to fit and load.
 */
export abstract class FittedTokenizerPlugin<T extends Tokenizer> implements TokenizerPlugin {
  abstract readonly meta: PluginMeta;
  abstract readonly options: Readonly<{ from?: string }>;
  /** The `type` field of this tokenizer's JSON. */
  protected abstract readonly tokenizerType: string;
  /** How the current tokenizer was obtained; undefined before setup. */
  origin: TokenizerOrigin | undefined;
  /** The tokenizer; a `ChatTokenizer` around it once a chat template is added (saved in its JSON). */
  private current: T | ChatTokenizer | undefined;

  /** Build the tokenizer from training texts with the plugin's options. */
  protected abstract fit(texts: string[]): T;
  /** Rebuild the tokenizer from its JSON (already checked to be of `tokenizerType`). */
  protected abstract fromJSON(json: unknown): T;

  get tokenizer(): T | ChatTokenizer {
    if (this.current === undefined) {
      throw new GraftError(ErrorCodes.INTERNAL, 'tokenizer read before it exists', {
        plugin: this.meta.name,
        hint: "It is fitted or loaded in setup at stage 'tokenizer': read it from a later stage (encode, build) or after trainer.setup()",
      });
    }
    return this.current;
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('setup', this, () => this.setupTokenizer(trainer), { stage: 'tokenizer' });
  }

  getState(): PluginState {
    return { json: this.tokenizer.toJSON() };
  }

  /**
   * Add a chat template's tokens to the tokenizer (instruction data does, before it encodes and
   * before the model reads the vocabulary size); a no-op when the tokenizer already carries it
   * (loaded from a checkpoint that saved it).
   */
  useChatTemplate(template?: ChatTemplate): ChatTokenizer {
    const t = withChatTemplate(this.tokenizer, template);
    this.current = t;
    return t;
  }

  /**
   * Called by `trainer.load` after setup, when the data has already been encoded with the current
   * tokenizer. So the checkpoint's tokenizer must be the same one; a different one is an error
   * (resume with `trainer.resume(dir)`, which restores it before the data is encoded).
   */
  setState(state: PluginState): void {
    if (state.json === undefined) return;
    const saved = this.load(state.json, 'checkpoint state');
    if (this.current === undefined) {
      this.current = saved;
      this.origin = 'resume';
      return;
    }
    if (JSON.stringify(saved.toJSON()) !== JSON.stringify(this.current.toJSON())) {
      throw new GraftError(ErrorCodes.CHECKPOINT, 'the checkpoint was saved with a different tokenizer than the one this run set up', {
        plugin: this.meta.name,
        hint: 'Use trainer.resume(dir) to restore the tokenizer before the data is encoded, or set option "from" to the checkpoint folder',
      });
    }
  }

  private setupTokenizer(trainer: TrainerApi): void {
    const saved = trainer.resources.get(CoreResources.resume)?.plugins?.[this.meta.name]?.state;
    if (saved !== undefined) {
      this.current = this.load(saved, 'the checkpoint being resumed');
      this.origin = 'resume';
    } else if (this.options.from !== undefined) {
      const { json, file } = readTokenizerJson(this.options.from, this.meta.name);
      this.current = this.load(json, 'the "from" source', file);
      this.origin = 'from';
    } else {
      this.current = this.fit(this.trainingTexts(trainer));
      this.origin = 'fit';
    }
    trainer.logger.info(`${this.meta.name}: ${this.origin === 'fit' ? 'fitted' : 'loaded'} tokenizer, vocabulary ${this.current.vocabSize}`);
  }

  private trainingTexts(trainer: TrainerApi): string[] {
    const dataset = trainer.role('dataset');
    if (typeof dataset.trainingTexts !== 'function') {
      throw new GraftError(ErrorCodes.MISSING_DEPENDENCY, `dataset plugin "${dataset.meta.name}" has no trainingTexts() to fit the tokenizer on`, {
        plugin: this.meta.name,
        hint: 'Use a text dataset, or load a fitted tokenizer with option "from"',
      });
    }
    const texts = dataset.trainingTexts();
    if (!Array.isArray(texts) || texts.length === 0) {
      throw new GraftError(ErrorCodes.DATA, `dataset plugin "${dataset.meta.name}" returned no training texts to fit the tokenizer on`, {
        plugin: this.meta.name,
        expected: 'a non-empty array of strings',
        received: texts,
      });
    }
    return texts;
  }

  /** `source` says where the JSON is from in errors; `file` when it was read from one. */
  private load(json: unknown, source: string, file?: string): T | ChatTokenizer {
    const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
    if (type !== this.tokenizerType) {
      throw new GraftError(ErrorCodes.DATA, `${source} holds a tokenizer of another type`, {
        plugin: this.meta.name,
        ...(file === undefined ? {} : { file }),
        expected: `type "${this.tokenizerType}"`,
        received: type,
      });
    }
    try {
      return restoreChatTemplate(json, this.fromJSON(json)) as T | ChatTokenizer;
    } catch (e) {
      if (!(e instanceof GraftError) || file === undefined) throw e;
      throw new GraftError(e.code, 'invalid tokenizer JSON', { plugin: this.meta.name, file, hint: e.message, cause: e });
    }
  }
}
