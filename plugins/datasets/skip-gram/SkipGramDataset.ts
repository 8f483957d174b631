import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  Rng,
  resolveOptions,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type InputOptions,
  type PluginMeta,
  type PluginState,
  type PreflightReport,
  type ResolvedOptions,
  type Split,
  type Tokenizer,
  type TrainerApi,
} from '../../../core/index.ts';
import { checkFrom } from '../shared/batchPosition.ts';
import { checkIds } from '../shared/encodeStream.ts';
import { SOTU_PARTIES } from '../shared/npmCorpora.ts';
import { preflightTextSources } from '../shared/preflightText.ts';
import { splitCorpus, type CorpusSplit } from '../shared/splitCorpus.ts';
import { allocTokens, type TokenArray } from '../shared/tokenArray.ts';
import { checkSource, loadCorpus } from '../text-corpus/loadCorpus.ts';
import { SKIP_GRAM_OPTIONS } from './options.ts';
import { countPairs, pairChunks, toBlocks, type Blocks, type PassOptions } from './pairStream.ts';
import { keepProbabilities, UnigramSampler } from './sampling.ts';
import { specialIds } from '../../tokenizers/specialIds.ts';

export type SkipGramOptions = InputOptions<typeof SKIP_GRAM_OPTIONS>;

interface Encoded {
  train: Blocks;
  validation: Blocks;
  /** Occurrences of each id in the training stream (after dropping specials). */
  counts: Float64Array;
  keep: Float64Array;
  sampler: UnigramSampler;
}

interface SavedState {
  seed: number;
  trainTokens: number;
  pairsPerEpoch: number;
}

const TRAIN = 'train';
const VALIDATION = 'validation';

/**
 * `dataset:skip-gram`: (centre, context) pairs for word2vec's skip-gram with negative sampling.
 * The text is loaded and split like `dataset:text-corpus` (no randomness in the split), encoded
 * once with the recipe's tokenizer (word level), special tokens dropped, and cut into blocks.
 * Each pass subsamples frequent words and draws a dynamic window per centre; negatives come from
 * the unigram^0.75 table. Batches: `inputs` int32 [B] centres, `targets` int32 [B] contexts,
 * `negatives` int32 [B, K]. Everything is a function of the seed captured in `apply` and the
 * epoch, so `batches('train', { epoch, from: k })` is exactly the tail of the epoch from batch k.
 */
export class SkipGramDataset implements DatasetPlugin {
  static readonly meta = {
    name: 'dataset:skip-gram',
    kind: 'dataset',
    description: 'Skip-gram (centre, context) pairs with subsampling and unigram^0.75 negatives (word2vec)',
  } as const satisfies PluginMeta;
  static readonly options = SKIP_GRAM_OPTIONS;
  readonly meta = SkipGramDataset.meta;
  readonly options: ResolvedOptions<typeof SKIP_GRAM_OPTIONS>;
  private seed: number | undefined;
  private trainer: TrainerApi | undefined;
  private text: CorpusSplit | undefined;
  private data: Encoded | undefined;
  /** Pairs of pass 0 of epoch 0 (training) and of the validation pass, with the seed they were counted for. */
  private pairs: { seed: number; train: number; validation: number } | undefined;

  constructor(options: SkipGramOptions = {}) {
    const name = this.meta.name;
    const o = (this.options = resolveOptions(name, SKIP_GRAM_OPTIONS, options));
    if (o.sources.length === 0) {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'no text to read', { plugin: name, option: 'sources', expected: 'at least one of npm:moby-dick, npm:sotu, a file or a folder' });
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
  }

  preflight(): PreflightReport {
    return { warnings: preflightTextSources(this.options.sources, this.meta.name) };
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    // Captured now, so draws others make from the root stream later cannot shift the pairs.
    this.seed = trainer.rng.fork(this.meta.name).getState();
    trainer.tap('setup', this, () => this.load(), { stage: 'data' });
    trainer.tap('setup', this, () => this.encode(trainer.role('tokenizer').tokenizer), { stage: 'encode' });
  }

  /** Load and split the raw text (setup stage `data`; public for use without a trainer). */
  load(): void {
    const o = this.options;
    const docs = loadCorpus(o.sources, [], {
      plugin: this.meta.name,
      maxChars: o.maxChars,
      sotu: { years: o.sotuYears.length === 2 ? [o.sotuYears[0]!, o.sotuYears[1]!] : undefined, parties: o.sotuParties },
    });
    this.text = splitCorpus(docs.map((d) => d.text), 'chunk', o.validationFraction, o.chunkChars);
    this.data = undefined;
    this.pairs = undefined;
  }

  /** Raw training text (segments), for fitting the tokenizer: never validation text. */
  trainingTexts(): string[] {
    return this.requireText().train.slice();
  }

  /**
   * Encode both splits once (setup stage `encode`), drop the special tokens, count the words of
   * the training text (subsampling and negatives both come from these counts, as in word2vec),
   * and count the pairs of a pass, which fixes the batches per epoch.
   */
  encode(tokenizer: Tokenizer): void {
    const text = this.requireText();
    const o = this.options;
    const drop = specialIds(tokenizer, o.dropTokens);
    const V = tokenizer.vocabSize;
    const encodeSplit = (segments: readonly string[]): TokenArray[] =>
      segments.map((s) => {
        const ids = tokenizer.encode(s);
        checkIds(ids, V, this.meta.name);
        const out = allocTokens(ids.length, V);
        let n = 0;
        for (let i = 0; i < ids.length; i++) if (!drop.has(ids[i]!)) out[n++] = ids[i]!;
        return out.subarray(0, n);
      });
    const alloc = (n: number) => allocTokens(n, V);
    const train = toBlocks(encodeSplit(text.train), o.blockTokens, alloc);
    const validation = toBlocks(encodeSplit(text.validation), o.blockTokens, alloc);
    const counts = new Float64Array(V);
    for (let i = 0; i < train.tokens.length; i++) counts[train.tokens[i]!]!++;
    const sampler = new UnigramSampler(counts, o.power);
    if (sampler.total === 0) {
      throw new GraftError(ErrorCodes.DATA, 'the training text has no word left once special tokens are dropped', {
        plugin: this.meta.name,
        hint: 'Check the tokenizer (a word tokenizer fitted on this text) and dropTokens',
      });
    }
    this.data = { train, validation, counts, keep: keepProbabilities(counts, o.sample), sampler };
    this.pairs = undefined;
    const n = this.numBatches('train');
    if (n === 0) {
      throw new GraftError(ErrorCodes.DATA, `a pass over the training text gives ${this.pairCounts().train} pairs: not one batch of ${o.batchSize}`, {
        plugin: this.meta.name,
        option: 'batchSize',
        hint: 'Lower batchSize, or raise maxChars',
      });
    }
    this.trainer?.logger.info(
      `${this.meta.name}: ${train.tokens.length} training tokens, ${validation.tokens.length} validation tokens; ` +
        `${this.pairCounts().train} pairs a pass (${n} batches of ${o.batchSize}), ${this.numBatches('validation')} validation batches`,
    );
  }

  /** Training-token count of each id (after dropping specials): what subsampling and negatives use. */
  wordCounts(): Float64Array {
    return this.requireData().counts;
  }

  /** The negative sampler (unigram^power over the training counts). */
  get sampler(): UnigramSampler {
    return this.requireData().sampler;
  }

  private passOptions(split: 'train' | 'validation'): PassOptions & { shuffleBuffer: number } {
    const d = this.requireData();
    return { window: this.options.window, keep: d.keep, shuffleBlocks: true, shuffleBuffer: split === TRAIN ? this.options.shuffleBuffer : 0 };
  }

  /** Pairs of epoch 0's first training pass and of the validation pass, counted once per seed. */
  private pairCounts(): { train: number; validation: number } {
    const seed = this.requireSeed();
    if (this.pairs?.seed !== seed) {
      const d = this.requireData();
      const first = (label: string) => new Rng(seed).fork(label).fork('pass:0');
      this.pairs = {
        seed,
        train: countPairs(d.train, this.passOptions(TRAIN), first(`${TRAIN}:0`)),
        validation: d.validation.tokens.length ? countPairs(d.validation, this.passOptions(VALIDATION), first(VALIDATION)) : 0,
      };
    }
    return this.pairs;
  }

  private validationPairs(): number {
    const all = this.pairCounts().validation;
    const cap = this.options.maxValidationBatches;
    return cap > 0 ? Math.min(all, cap * this.options.batchSize) : all;
  }

  /**
   * Training: floor(P / B), P the pairs of epoch 0's first pass (every epoch has this many: see
   * README). Validation: the validation pairs (capped by maxValidationBatches), the last batch
   * possibly smaller. Test: none.
   */
  numBatches(split: Split): number {
    const B = this.options.batchSize;
    if (split === TRAIN) return Math.floor(this.pairCounts().train / B);
    if (split === VALIDATION) return Math.ceil(this.validationPairs() / B);
    return 0;
  }

  *batches(split: Split, opts: BatchOptions): IterableIterator<Batch> {
    const from = checkFrom(opts, this.meta.name);
    if (split !== TRAIN && split !== VALIDATION) return;
    const d = this.requireData();
    const seed = this.requireSeed();
    const B = this.options.batchSize;
    const n = this.numBatches(split);
    if (from >= n) return;
    // Validation pairs do not depend on the epoch: the same sample at every evaluation.
    const label = split === TRAIN ? `${TRAIN}:${opts.epoch}` : VALIDATION;
    const count = split === TRAIN ? n * B : this.validationPairs();
    let b = 0;
    for (const chunk of pairChunks(split === TRAIN ? d.train : d.validation, this.passOptions(split), seed, label, count, B)) {
      // A resume replays the pair stream up to batch `from` (JS only, no tensors).
      if (b >= from) yield this.batch(chunk.centres, chunk.contexts, new Rng(seed).fork(`negatives:${label}:${b}`));
      b++;
    }
  }

  private batch(centres: Int32Array, contexts: Int32Array, rng: Rng): Batch {
    const K = this.options.negatives;
    const rows = centres.length;
    const negatives = this.requireData().sampler.fill(rng, new Int32Array(rows * K));
    return {
      inputs: tf.tensor1d(centres, 'int32'),
      targets: tf.tensor1d(contexts, 'int32'),
      negatives: tf.tensor2d(negatives, [rows, K], 'int32'),
    };
  }

  /** The seed of the pairs and the sizes it applied to, so a resume can check them. */
  getState(): PluginState {
    const s: SavedState = {
      seed: this.requireSeed(),
      trainTokens: this.data?.train.tokens.length ?? -1,
      pairsPerEpoch: this.data ? this.numBatches('train') * this.options.batchSize : -1,
    };
    return { json: s };
  }

  setState(state: PluginState): void {
    const s = state.json as Partial<SavedState> | undefined;
    if (typeof s?.seed === 'number') this.seed = s.seed;
    const d = this.data;
    if (d && s && s.trainTokens !== d.train.tokens.length) {
      this.trainer?.logger.warn(
        `${this.meta.name}: the checkpoint was made on ${s.trainTokens} training tokens, this run has ${d.train.tokens.length}: the resumed pairs will differ`,
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
    if (!this.text) throw new GraftError(ErrorCodes.DATA, 'the corpus is not loaded yet (it loads at setup stage "data")', { plugin: this.meta.name });
    return this.text;
  }

  private requireData(): Encoded {
    if (!this.data) {
      throw new GraftError(ErrorCodes.DATA, 'the corpus is not encoded yet (it is encoded at setup stage "encode", after the tokenizer)', { plugin: this.meta.name });
    }
    return this.data;
  }
}
