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
import { planBatches, planCount } from '../shared/batchPlan.ts';
import type { LabelledRecord } from '../shared/labelledRecords.ts';
import { SPAM_ASSASSIN_GROUPS } from '../shared/npmCorpora.ts';
import { padBatch } from '../shared/padBatch.ts';
import { encodeRagged, raggedLengths, type RaggedTokens } from '../shared/raggedTokens.ts';
import { utf8Warnings } from '../shared/preflightText.ts';
import { checkTwoClasses, LABELLED_CORPORA, loadLabelledData, preflightLabelled, type LabelledData } from './loadLabelledData.ts';
import { LABELLED_TEXT_OPTIONS } from './options.ts';

export type LabelledTextOptions = InputOptions<typeof LABELLED_TEXT_OPTIONS>;

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

interface EncodedSplit {
  tokens: RaggedTokens;
  lengths: Int32Array;
  labels: Int32Array;
}

interface SavedState {
  seed: number;
  sizes: Record<Split, number>;
  /** Class names by id, so a checkpoint can name its predictions (`graft predict`); absent in older checkpoints. */
  classes?: string[];
}

/**
 * Labelled texts for classification (CSV, TSV, JSONL files or the SpamAssassin corpus). Raw data
 * is read, labelled, split and subsampled at setup stage `data` (independently of the run seed),
 * and every split is encoded once at stage `encode`. Batches: `inputs` int32 [B, T] padded at the
 * end with the tokenizer's pad id, `mask` float32 [B, T], `lengths` int32 [B], `labels` int32 [B].
 * At setup it offers `{ train_examples, validation_examples, class_names }` (training and validation examples after subsampling; the classes by id) to the
 * stage result (`CoreResources.stageResult`, merged into a preset stage's `result.json`).
 */
export class LabelledTextDataset implements DatasetPlugin {
  static readonly meta = {
    name: 'dataset:labelled-text',
    kind: 'dataset',
    description: 'Labelled texts for classification (CSV/TSV/JSONL files, SpamAssassin ham vs spam)',
  } as const satisfies PluginMeta;
  static readonly options = LABELLED_TEXT_OPTIONS;
  readonly meta = LabelledTextDataset.meta;
  readonly options: ResolvedOptions<typeof LABELLED_TEXT_OPTIONS>;
  private seed: number | undefined;
  private trainer: TrainerApi | undefined;
  private data: LabelledData | undefined;
  private encoded: Record<Split, EncodedSplit> | undefined;
  private padId = 0;

  constructor(options: LabelledTextOptions = {}) {
    const name = this.meta.name;
    const o = (this.options = resolveOptions(name, LABELLED_TEXT_OPTIONS, options));
    if (!o.source === !o.train) {
      throw new GraftError(ErrorCodes.BAD_OPTION, o.source ? 'source and train are both set' : 'no data given', {
        plugin: name,
        option: 'source',
        expected: `either source (${LABELLED_CORPORA.join(', ')} or one file to split) or train (with optional validation and test files)`,
      });
    }
    if (o.source && (o.validation || o.test)) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'validation/test files need train, not source', {
        plugin: name,
        option: o.validation ? 'validation' : 'test',
        hint: 'Give the training file as train, or drop the validation and test files to split source by fractions',
      });
    }
    if (o.source.startsWith('npm:') && !(LABELLED_CORPORA as readonly string[]).includes(o.source)) {
      throw new GraftError(ErrorCodes.DATA, `unknown corpus "${clip(o.source)}"`, {
        plugin: name,
        option: 'source',
        expected: `one of ${LABELLED_CORPORA.join(', ')}, or a .csv/.tsv/.jsonl file`,
      });
    }
    if (o.groups.length && o.source !== 'npm:spam-assassin') {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'groups applies to npm:spam-assassin only', { plugin: name, option: 'groups' });
    }
    for (const g of o.groups) {
      if (!(SPAM_ASSASSIN_GROUPS as readonly string[]).includes(g)) {
        throw new GraftError(ErrorCodes.BAD_OPTION, 'unknown group', { plugin: name, option: 'groups', expected: `one of ${SPAM_ASSASSIN_GROUPS.join(', ')}`, received: g });
      }
    }
    if (o.validationFraction + o.testFraction >= 1) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'validationFraction + testFraction leaves no training data', {
        plugin: name,
        option: 'testFraction',
        expected: 'validationFraction + testFraction < 1',
        received: o.validationFraction + o.testFraction,
      });
    }
    if (o.maxLen <= this.specialCount) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'maxLen leaves no room for text after the special tokens', {
        plugin: name,
        option: 'maxLen',
        expected: `more than ${this.specialCount} (prependBos and appendEos count toward maxLen)`,
        received: o.maxLen,
      });
    }
    if (new Set(o.labels).size !== o.labels.length) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'repeated class', { plugin: name, option: 'labels', expected: 'distinct label values', received: o.labels });
    }
  }

  /**
   * Before a run writes anything: the files exist, are text and parse, and their labels give two
   * classes or more (labels only are read; an `npm:` corpus is not loaded). Warnings for bytes that
   * are not UTF-8.
   */
  preflight(): PreflightReport {
    return { warnings: utf8Warnings(preflightLabelled(this.options, this.meta.name).files, this.meta.name) };
  }

  /** Number of classes (after setup stage `data`). */
  get numClasses(): number | undefined {
    return this.data?.classes.length;
  }

  /** Class names by id (after setup stage `data`). */
  get classNames(): readonly string[] {
    return this.requireData().classes;
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    // Only the training order depends on the run: captured once so later draws cannot shift it.
    this.seed = trainer.rng.fork(this.meta.name).getState();
    trainer.tap('setup', this, () => {
      this.load();
      const data = this.requireData();
      offerStageResult(trainer.resources, { train_examples: data.train.records.length, validation_examples: data.validation.records.length, class_names: [...data.classes] });
    }, { stage: 'data' });
    trainer.tap('setup', this, () => this.encode(trainer.role('tokenizer').tokenizer), { stage: 'encode' });
  }

  /** Read, split and subsample (setup stage `data`; public for use without a trainer). */
  load(): void {
    const d = loadLabelledData(this.options, this.meta.name);
    checkTwoClasses(d.classes, this.options, this.meta.name);
    this.data = d;
    this.encoded = undefined;
    const counts = (labels: Int32Array) => d.classes.map((c, k) => `${c}=${labels.filter((l) => l === k).length}`).join(' ');
    this.trainer?.logger.info(
      `${this.meta.name}: ${d.classes.length} classes; train ${d.train.records.length} (${counts(d.train.labels)}` +
        `${d.train.records.length < d.fullTrain.records.length ? ` of ${d.fullTrain.records.length}` : ''}), ` +
        `validation ${d.validation.records.length}, test ${d.test.records.length}; ` +
        `dropped ${d.dropped.duplicates} duplicates, ${d.dropped.empty} empty`,
    );
  }

  /** Encode every split once, truncated to maxLen (setup stage `encode`). */
  encode(tokenizer: Tokenizer): void {
    const d = this.requireData();
    const o = this.options;
    const pad = tokenizer.specials.pad;
    if (pad === undefined) this.trainer?.logger.warn(`${this.meta.name}: the tokenizer has no pad token; padding with id 0 (the mask marks it)`);
    this.padId = pad ?? 0;
    const extra = this.specialCount;
    const enc = {} as Record<Split, EncodedSplit>;
    for (const split of SPLITS) {
      const recs = d[split].records;
      const tokens = this.encodeTexts(recs.map((r) => r.text), tokenizer);
      const lengths = raggedLengths(tokens);
      const empty = lengths.findIndex((l) => l - extra <= 0);
      if (empty >= 0) {
        const r = recs[empty]!;
        throw new GraftError(ErrorCodes.DATA, 'the text encodes to no tokens', { plugin: this.meta.name, file: r.file, line: r.line, received: r.text.slice(0, 60) });
      }
      enc[split] = { tokens, lengths, labels: d[split].labels };
    }
    this.encoded = enc;
  }

  /**
   * Texts encoded as this dataset encodes its examples: the tokenizer, truncation to maxLen (keeping
   * the start or the end), the bos id put first when prependBos, the eos id appended when appendEos
   * (both within maxLen). Used by `encode` and for texts
   * outside the data (`textBatches`, `graft predict`).
   */
  encodeTexts(texts: readonly string[], tokenizer: Tokenizer): RaggedTokens {
    const o = this.options;
    const eos = tokenizer.specials.eos;
    if (o.appendEos && eos === undefined) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'the tokenizer has no eos token', { plugin: this.meta.name, option: 'appendEos', hint: 'Set appendEos to false or use a tokenizer with an eos token' });
    }
    const bos = tokenizer.specials.bos;
    if (o.prependBos && bos === undefined) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'the tokenizer has no bos token', { plugin: this.meta.name, option: 'prependBos', hint: 'Set prependBos to false or use a tokenizer with a bos token' });
    }
    return encodeRagged(texts, tokenizer, {
      maxLen: o.maxLen,
      truncate: o.truncate,
      prependId: o.prependBos ? bos : undefined,
      appendId: o.appendEos ? eos : undefined,
      plugin: this.meta.name,
    });
  }

  /** Special tokens added to every example (prependBos, appendEos): a row of no more is empty. */
  private get specialCount(): number {
    return (this.options.prependBos ? 1 : 0) + (this.options.appendEos ? 1 : 0);
  }

  /**
   * Unlabelled texts as model inputs, in their order, `batchSize` a batch, encoded (`encodeTexts`)
   * and padded exactly as the examples' batches are: `inputs`, `mask`, `lengths`, no `labels`. Needs
   * no data loaded (no setup), only the tokenizer. A text that encodes to no tokens is a DATA error
   * naming its position.
   */
  *textBatches(texts: readonly string[], tokenizer: Tokenizer, batchSize = this.options.batchSize): IterableIterator<Batch> {
    const tokens = this.encodeTexts(texts, tokenizer);
    const extra = this.specialCount;
    const empty = raggedLengths(tokens).findIndex((l) => l - extra <= 0);
    if (empty >= 0) {
      throw new GraftError(ErrorCodes.DATA, `text ${empty + 1} encodes to no tokens`, { plugin: this.meta.name, received: texts[empty]!.slice(0, 60) });
    }
    const padId = tokenizer.specials.pad ?? 0;
    for (let start = 0; start < texts.length; start += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, texts.length - start) }, (_, i) => start + i);
      yield this.inputTensors(tokens, idx, padId);
    }
  }

  /** Texts of the whole training split (before trainSize subsampling), for fitting a tokenizer. */
  trainingTexts(): string[] {
    return this.requireData().fullTrain.records.map((r) => r.text);
  }

  /**
   * Texts of the whole training split with labels ignored, for language-model fine-tuning on the
   * target domain (ULMFiT stage 2). Never validation or test text.
   */
  unlabelledTexts(): string[] {
    return this.requireData().fullTrain.records.map((r) => r.text);
  }

  /** The examples of a split (text, label name, file and line), as trained or evaluated on. */
  examples(split: Split): { text: string; label: string; labelId: number; file: string; line?: number }[] {
    const s = this.requireData()[split];
    return s.records.map((r: LabelledRecord, i) => ({ ...r, labelId: s.labels[i]! }));
  }

  numBatches(split: Split): number {
    const n = this.requireEncoded()[split].labels.length;
    return planCount(n, this.options.batchSize, split === 'train' && this.options.dropLast);
  }

  /**
   * Training: shuffled by (seed, epoch) — with sortish, in length-sorted pools — the last partial
   * batch kept unless dropLast (which never drops the only batch). Validation and test: fixed order (sorted by length with sortish),
   * every example once, the epoch ignored.
   */
  *batches(split: Split, opts: BatchOptions): IterableIterator<Batch> {
    const from = checkFrom(opts, this.meta.name);
    const s = this.requireEncoded()[split];
    const o = this.options;
    const train = split === 'train';
    const plan = planBatches(s.labels.length, {
      batchSize: o.batchSize,
      shuffle: train,
      seed: train ? this.requireSeed() : 0,
      epoch: opts.epoch,
      dropLast: train && o.dropLast,
      sortishPool: o.sortish ? o.sortishPool : 0,
      lengths: s.lengths,
    });
    for (let b = from; b < plan.length; b++) {
      const idx = plan[b]!;
      yield { ...this.inputTensors(s.tokens, idx, this.padId), labels: tf.tensor1d(Int32Array.from(idx, (i) => s.labels[i]!), 'int32') };
    }
  }

  /** The sequences `idx` of `tokens` padded at the end (`padBatch`): inputs int32 [B, T], mask float32 [B, T], lengths int32 [B]. */
  private inputTensors(tokens: RaggedTokens, idx: ArrayLike<number>, padId: number): Batch {
    const p = padBatch(tokens, idx, this.options.maxLen, padId);
    const B = idx.length;
    return {
      inputs: tf.tensor2d(p.inputs, [B, p.T], 'int32'),
      mask: tf.tensor2d(p.mask, [B, p.T], 'float32'),
      lengths: tf.tensor1d(p.lengths, 'int32'),
    };
  }

  /** The seed of the training order and the split sizes it applied to. */
  getState(): PluginState {
    const d = this.data;
    const sizes = { train: d?.train.records.length ?? -1, validation: d?.validation.records.length ?? -1, test: d?.test.records.length ?? -1 };
    const s: SavedState = { seed: this.requireSeed(), sizes, ...(d ? { classes: [...d.classes] } : {}) };
    return { json: s };
  }

  setState(state: PluginState): void {
    const s = state.json as Partial<SavedState> | undefined;
    if (typeof s?.seed === 'number') this.seed = s.seed;
    const d = this.data;
    if (d && s?.sizes && SPLITS.some((k) => s.sizes![k] !== d[k].records.length)) {
      this.trainer?.logger.warn(
        `${this.meta.name}: the checkpoint was made on splits of ${JSON.stringify(s.sizes)} examples, this run has ` +
          `${JSON.stringify({ train: d.train.records.length, validation: d.validation.records.length, test: d.test.records.length })}: the resumed data order will differ`,
      );
    }
  }

  private requireSeed(): number {
    if (this.seed === undefined) {
      throw new GraftError(ErrorCodes.DATA, 'has no seed: apply() was not called', { plugin: this.meta.name, hint: 'Add the dataset to a trainer' });
    }
    return this.seed;
  }

  private requireData(): LabelledData {
    if (!this.data) throw new GraftError(ErrorCodes.DATA, 'the data is not loaded yet (it loads at setup stage "data")', { plugin: this.meta.name });
    return this.data;
  }

  private requireEncoded(): Record<Split, EncodedSplit> {
    if (!this.encoded) {
      throw new GraftError(ErrorCodes.DATA, 'the data is not encoded yet (it is encoded at setup stage "encode", after the tokenizer)', { plugin: this.meta.name });
    }
    return this.encoded;
  }
}
