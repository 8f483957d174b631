import * as tf from '@tensorflow/tfjs-core';
import {
  clip,
  ErrorCodes,
  GraftError,
  offerStageResult,
  resolveOptions,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type InputOptions,
  type PluginState,
  type PreflightReport,
  type ResolvedOptions,
  type Split,
  type Tokenizer,
  type TrainerApi,
  type PluginMeta,
} from '../../../core/index.ts';
import { checkFrom } from '../shared/batchPosition.ts';
import { evenlySpacedIndices } from '../shared/evenlySpaced.ts';
import { encodeStream } from '../shared/encodeStream.ts';
import { SOTU_PARTIES } from '../shared/npmCorpora.ts';
import { preflightTextSources } from '../shared/preflightText.ts';
import { epochPermutation, seededInt } from '../shared/shuffle.ts';
import { splitCorpus, type CorpusSplit } from '../shared/splitCorpus.ts';
import type { TokenArray } from '../shared/tokenArray.ts';
import { fillWindows, windowCount } from '../shared/windows.ts';
import { LabelledTextDataset, type LabelledTextOptions } from '../labelled-text/LabelledTextDataset.ts';
import { loadLabelledData } from '../labelled-text/loadLabelledData.ts';
import { unlabelledTextsOf } from '../labelled-text/unlabelledTextsOf.ts';
import { textOverlap } from '../shared/textOverlap.ts';
import { checkSource, loadCorpus } from './loadCorpus.ts';
import { TEXT_CORPUS_OPTIONS } from './options.ts';

export type TextCorpusOptions = InputOptions<typeof TEXT_CORPUS_OPTIONS>;

/** The options that name a labelled data set (a source, or dataset:labelled-text's options). */
const LABELLED_OPTIONS = ['trainTextsOf', 'heldOutOf'] as const;
type LabelledOption = (typeof LABELLED_OPTIONS)[number];

/**
 * Documents given in code rather than named by a source, e.g. the unlabelled training texts of a
 * classification data set for LM fine-tuning. Not an option, so they are not copied into every
 * checkpoint's manifest; a function is called at setup stage `data`.
 */
export interface TextCorpusInputs {
  texts?: readonly string[] | (() => readonly string[]);
}

interface SavedState {
  seed: number;
  trainTokens: number;
  validationTokens: number;
}

/**
 * A text corpus for next-token language modelling. Raw text is loaded at setup stage `data`,
 * split into training and validation text without randomness, and encoded once at stage `encode`
 * into one token stream per split. Batches are windows `inputs` = tokens[i, i+T), `targets` =
 * tokens[i+1, i+T+1), int32 [B, T], made lazily by the iterator.
 */
export class TextCorpusDataset implements DatasetPlugin {
  static readonly meta = {
    name: 'dataset:text-corpus',
    kind: 'dataset',
    description: 'Next-token windows over a text corpus (Moby Dick, State of the Union, files)',
  } as const satisfies PluginMeta;
  static readonly options = TEXT_CORPUS_OPTIONS;
  readonly meta = TextCorpusDataset.meta;
  readonly options: ResolvedOptions<typeof TEXT_CORPUS_OPTIONS>;
  private seed: number | undefined;
  private trainer: TrainerApi | undefined;
  private text: CorpusSplit | undefined;
  private tokens: { train: TokenArray; validation: TokenArray } | undefined;

  constructor(
    options: TextCorpusOptions = {},
    private readonly inputs: TextCorpusInputs = {},
  ) {
    const name = this.meta.name;
    const o = (this.options = resolveOptions(name, TEXT_CORPUS_OPTIONS, options));
    if (o.sources.length === 0 && o.trainTextsOf === '' && inputs.texts === undefined) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'no text to read', {
        plugin: name,
        option: 'sources',
        expected: 'at least one of npm:moby-dick, npm:sotu, a file or a folder (or trainTextsOf, or texts given in code)',
      });
    }
    for (const key of LABELLED_OPTIONS) {
      const t = o[key];
      if (t !== '' && typeof t !== 'string' && (typeof t !== 'object' || t === null || Array.isArray(t))) {
        throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid value', { plugin: name, option: key, expected: "a labelled source, dataset:labelled-text's options, or ''", received: t });
      }
      if (t !== '') this.labelled(key);
    }
    for (const s of o.sources) checkSource(s, name);
    const y = o.sotuYears;
    if (y.length !== 0 && (y.length !== 2 || !y.every(Number.isInteger) || y[0]! > y[1]!)) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'invalid value', { plugin: name, option: 'sotuYears', expected: '[] or [from, to], integers with from <= to', received: y });
    }
    for (const p of o.sotuParties) {
      if (!(SOTU_PARTIES as readonly string[]).includes(p)) {
        throw new GraftError(ErrorCodes.BAD_OPTION, 'unknown party', { plugin: name, option: 'sotuParties', expected: `one of ${SOTU_PARTIES.join(', ')}`, received: p });
      }
    }
    if ((y.length || o.sotuParties.length) && !o.sources.includes('npm:sotu')) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'sotu filters given but npm:sotu is not a source', {
        plugin: name,
        option: y.length ? 'sotuYears' : 'sotuParties',
        hint: 'Add npm:sotu to sources or remove the filter',
      });
    }
  }

  /**
   * Before a run writes anything: every source exists and is readable text (an `npm:` corpus is
   * installed); warnings for bytes that are not UTF-8. Nothing is loaded or kept.
   */
  preflight(): PreflightReport {
    const warnings = preflightTextSources(this.options.sources, this.meta.name);
    for (const key of LABELLED_OPTIONS) {
      if (this.options[key] !== '') warnings.push(...this.asOwn(key, () => this.labelled(key).preflight().warnings));
    }
    return { warnings };
  }

  /** `fn()`, its errors (the labelled data set's) named as this plugin's option `key`. */
  private asOwn<T>(key: LabelledOption, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof GraftError && e.details.plugin !== this.meta.name) {
        // Given as the labelled data set's options: name the option inside them (trainTextsOf.source).
        const inner = typeof this.options[key] === 'object' && e.details.option !== undefined;
        throw e.withCode(e.code, { plugin: this.meta.name, option: inner ? `${key}.${e.details.option}` : key });
      }
      throw e;
    }
  }

  /** The labelled data set option `key` names, with its defaults: its checks name the option. */
  private labelled(key: LabelledOption): LabelledTextDataset {
    const t = this.options[key];
    return this.asOwn(key, () => new LabelledTextDataset(typeof t === 'string' ? { source: t } : (t as LabelledTextOptions)));
  }

  /**
   * `heldOutOf`: the labelled set's validation and test texts the corpus contains (at least half of
   * their 8-word sequences); an error unless `overlap` is 'warn'. Logged, and offered to the stage
   * result as `heldout_overlap` (texts found) and `heldout_checked`.
   */
  private checkHeldOut(docs: readonly string[]): void {
    const ds = this.labelled('heldOutOf');
    const data = this.asOwn('heldOutOf', () => loadLabelledData(ds.options, ds.meta.name));
    const heldOut = [...data.validation.records, ...data.test.records].map((r) => r.text);
    const report = textOverlap(docs, heldOut);
    const found = report.contained.length;
    if (this.trainer) offerStageResult(this.trainer.resources, { heldout_checked: report.checked, heldout_overlap: found });
    const what = `${found} of ${report.checked} validation and test texts of the task (heldOutOf) are in the corpus (half or more of their 8-word sequences)`;
    if (found === 0) {
      this.trainer?.logger.info(`${this.meta.name}: ${what}`);
      return;
    }
    if (this.options.overlap === 'warn') {
      this.trainer?.logger.warn(`${this.meta.name}: ${what}; going on (overlap: warn)`);
      return;
    }
    throw new GraftError(ErrorCodes.DATA, what, {
      plugin: this.meta.name,
      option: 'heldOutOf',
      received: clip(heldOut[report.contained[0]!]!, 80),
      hint: 'Remove the task text from the corpus, or set overlap: warn to go on knowing the test text leaks into pre-training',
    });
  }

  /** Distance between training window starts. */
  get stride(): number {
    return this.options.stride || this.options.seqLen;
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    // The order of batches depends on this value only (and the epoch): captured now, so draws
    // others make from the root stream later cannot shift it.
    this.seed = trainer.rng.fork(this.meta.name).getState();
    trainer.tap('setup', this, () => this.load(), { stage: 'data' });
    trainer.tap('setup', this, () => this.encode(trainer.role('tokenizer').tokenizer), { stage: 'encode' });
  }

  /** Load and split the raw text (setup stage `data`; public for use without a trainer). */
  load(): void {
    const o = this.options;
    const t = this.inputs.texts;
    const given = typeof t === 'function' ? t() : (t ?? []);
    const texts = o.trainTextsOf === '' ? given : [...this.asOwn('trainTextsOf', () => unlabelledTextsOf(this.labelled('trainTextsOf').options)), ...given];
    const docs = loadCorpus(o.sources, texts, {
      plugin: this.meta.name,
      maxChars: o.maxChars,
      sotu: {
        years: o.sotuYears.length === 2 ? [o.sotuYears[0]!, o.sotuYears[1]!] : undefined,
        parties: o.sotuParties,
      },
    });
    if (o.heldOutOf !== '') this.checkHeldOut(docs.map((d) => d.text));
    if (o.splitBy === 'document' && o.validationFraction > 0 && docs.length < 2) {
      throw new GraftError(ErrorCodes.DATA, `splitBy "document" needs two documents or more, the corpus has ${docs.length}`, {
        plugin: this.meta.name,
        option: 'splitBy',
        hint: 'Use splitBy "chunk" for a single document',
      });
    }
    this.text = splitCorpus(
      docs.map((d) => d.text),
      o.splitBy,
      o.validationFraction,
      o.chunkChars,
    );
    this.tokens = undefined;
  }

  /**
   * Encode both splits once (setup stage `encode`). Documents of a split are joined with the
   * tokenizer's `eos` id when it has one, else concatenated as they are.
   */
  encode(tokenizer: Tokenizer): void {
    const text = this.requireText();
    const eos = tokenizer.specials.eos;
    this.tokens = {
      train: encodeStream(text.train, tokenizer, eos, this.meta.name),
      validation: encodeStream(text.validation, tokenizer, eos, this.meta.name),
    };
    const o = this.options;
    if (this.numBatches('train') === 0) {
      throw new GraftError(ErrorCodes.DATA, `the training split has ${this.tokens.train.length} tokens: not one batch of ${o.batchSize} windows of ${o.seqLen + 1} tokens`, {
        plugin: this.meta.name,
        option: 'seqLen',
        hint: 'Lower seqLen or batchSize, or raise maxChars',
      });
    }
    const log = this.trainer?.logger;
    log?.info(
      `${this.meta.name}: ${this.tokens.train.length} training tokens (${this.numBatches('train')} batches), ` +
        `${this.tokens.validation.length} validation tokens (${this.numBatches('validation')} batches)`,
    );
    if (o.validationFraction > 0 && this.numBatches('validation') === 0) {
      log?.warn(`${this.meta.name}: the validation split is shorter than one window; validation loss will be missing`);
    }
  }

  /** Raw training text (segments), for fitting a tokenizer: never validation text. */
  trainingTexts(): string[] {
    return this.requireText().train.slice();
  }

  /** Raw validation text (segments). */
  validationTexts(): string[] {
    return this.requireText().validation.slice();
  }

  /** The encoded token stream of a split (read-only view; for inspection and tests). */
  tokenStream(split: 'train' | 'validation'): TokenArray {
    return this.requireTokens()[split];
  }

  /** Training windows per epoch (before dropping the partial batch). */
  trainWindows(): number {
    const s = this.stride;
    return windowCount(this.requireTokens().train.length, this.options.seqLen, s, this.options.epochOffset ? s - 1 : 0);
  }

  private validationWindows(): number {
    const { seqLen, batchSize, maxValidationBatches } = this.options;
    const all = windowCount(this.requireTokens().validation.length, seqLen, seqLen);
    return maxValidationBatches > 0 ? Math.min(all, maxValidationBatches * batchSize) : all;
  }

  numBatches(split: Split): number {
    const B = this.options.batchSize;
    if (split === 'train') return Math.floor(this.trainWindows() / B);
    if (split === 'validation') return Math.ceil(this.validationWindows() / B);
    return 0;
  }

  /**
   * Training: the window starts offset + k*stride (k < trainWindows), shuffled by (seed, epoch);
   * batch b holds the windows perm[bB .. bB+B); the last partial batch is dropped.
   * Validation: non-overlapping windows k*seqLen in order (evenly spread over the split when
   * capped by maxValidationBatches), the last batch may be smaller; the epoch is ignored.
   * The test split is empty (this dataset has train and validation only).
   */
  *batches(split: Split, opts: BatchOptions): IterableIterator<Batch> {
    const from = checkFrom(opts, this.meta.name);
    const tokens = this.requireTokens();
    const { seqLen: T, batchSize: B } = this.options;
    const n = this.numBatches(split);
    if (split === 'train') {
      const seed = this.requireSeed();
      const perm = epochPermutation(seed, opts.epoch, this.trainWindows());
      const stride = this.stride;
      const offset = this.options.epochOffset ? seededInt(seed, `offset:${opts.epoch}`, stride) : 0;
      const starts = new Int32Array(B);
      for (let b = from; b < n; b++) {
        for (let r = 0; r < B; r++) starts[r] = offset + perm[b * B + r]! * stride;
        yield this.windows(tokens.train, starts);
      }
    } else if (split === 'validation') {
      const total = windowCount(tokens.validation.length, T, T);
      const count = this.validationWindows();
      const picked = count < total ? evenlySpacedIndices(total, count) : undefined;
      for (let b = from; b < n; b++) {
        const rows = Math.min(B, count - b * B);
        const starts = new Int32Array(rows);
        for (let r = 0; r < rows; r++) starts[r] = (picked ? picked[b * B + r]! : b * B + r) * T;
        yield this.windows(tokens.validation, starts);
      }
    }
  }

  private windows(tokens: TokenArray, starts: Int32Array): Batch {
    const T = this.options.seqLen;
    const inputs = new Int32Array(starts.length * T);
    const targets = new Int32Array(starts.length * T);
    fillWindows(tokens, starts, T, inputs, targets);
    return {
      inputs: tf.tensor2d(inputs, [starts.length, T], 'int32'),
      targets: tf.tensor2d(targets, [starts.length, T], 'int32'),
    };
  }

  /** The seed of the batch order and the sizes it applied to, so a resume can check them. */
  getState(): PluginState {
    const t = this.tokens;
    const s: SavedState = { seed: this.requireSeed(), trainTokens: t?.train.length ?? -1, validationTokens: t?.validation.length ?? -1 };
    return { json: s };
  }

  setState(state: PluginState): void {
    const s = state.json as Partial<SavedState> | undefined;
    if (typeof s?.seed === 'number') this.seed = s.seed;
    const t = this.tokens;
    if (t && s && (s.trainTokens !== t.train.length || s.validationTokens !== t.validation.length)) {
      this.trainer?.logger.warn(
        `${this.meta.name}: the checkpoint was made on ${s.trainTokens} training / ${s.validationTokens} validation tokens, ` +
          `this run has ${t.train.length} / ${t.validation.length}: the resumed data order will differ`,
      );
    }
  }

  private requireSeed(): number {
    if (this.seed === undefined) {
      throw new GraftError(ErrorCodes.DATA, 'has no seed: apply() was not called', { plugin: this.meta.name, hint: 'Add the dataset to a trainer' });
    }
    return this.seed;
  }

  private requireText(): CorpusSplit {
    if (!this.text) {
      throw new GraftError(ErrorCodes.DATA, 'the corpus is not loaded yet (it loads at setup stage "data")', { plugin: this.meta.name });
    }
    return this.text;
  }

  private requireTokens(): { train: TokenArray; validation: TokenArray } {
    if (!this.tokens) {
      throw new GraftError(ErrorCodes.DATA, 'the corpus is not encoded yet (it is encoded at setup stage "encode", after the tokenizer)', {
        plugin: this.meta.name,
      });
    }
    return this.tokens;
  }
}
