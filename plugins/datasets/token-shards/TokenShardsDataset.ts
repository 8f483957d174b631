import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import {
  ErrorCodes,
  GraftError,
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
  type TrainerApi,
} from '../../../core/index.ts';
import { checkFrom } from '../shared/batchPosition.ts';
import { evenlySpacedIndices } from '../shared/evenlySpaced.ts';
import { readShardManifest, tokenizerHash, verifyShard, type ShardManifest } from './shardManifest.ts';
import { ShardWindows } from './ShardWindows.ts';
import { TOKEN_SHARDS_OPTIONS } from './options.ts';
import { epochWindowPermutation } from './windowPermutation.ts';

export type TokenShardsOptions = InputOptions<typeof TOKEN_SHARDS_OPTIONS>;

interface SavedState {
  seed: number;
  inputsKey: string;
  trainWindows: number;
}

/** Shard indices of each split: validation and test evenly spaced, training the rest (in order). */
export function splitShards(count: number, validation: number, test: number): Record<'train' | 'validation' | 'test', number[]> {
  const all = Array.from({ length: count }, (_, i) => i);
  const val = new Set(evenlySpacedIndices(count, validation));
  const rest = all.filter((i) => !val.has(i));
  const tst = new Set(Array.from(evenlySpacedIndices(rest.length, test), (j) => rest[j]!));
  return { train: rest.filter((i) => !tst.has(i)), validation: [...val].sort((a, b) => a - b), test: [...tst].sort((a, b) => a - b) };
}

/**
 * Next-token windows streamed from token shards on disk (`graft tokenize`), for corpora larger
 * than memory. Training windows are visited in a seeded order that is a bijection over all
 * training windows (`epochWindowPermutation`: no array of windows), each read with one positioned
 * read; batches are `inputs` / `targets` int32 [B, T] as dataset:text-corpus makes them.
 */
export class TokenShardsDataset implements DatasetPlugin {
  static readonly meta = {
    name: 'dataset:token-shards',
    kind: 'dataset',
    description: 'Next-token windows streamed from token shards on disk (corpora larger than memory)',
  } as const satisfies PluginMeta;
  static readonly options = TOKEN_SHARDS_OPTIONS;
  readonly meta = TokenShardsDataset.meta;
  readonly options: ResolvedOptions<typeof TOKEN_SHARDS_OPTIONS>;
  private seed: number | undefined;
  private trainer: TrainerApi | undefined;
  private manifest: ShardManifest | undefined;
  private splits: Record<'train' | 'validation' | 'test', ShardWindows> | undefined;

  constructor(options: TokenShardsOptions) {
    this.options = resolveOptions(this.meta.name, TOKEN_SHARDS_OPTIONS, options);
    if (typeof this.options.dir !== 'string' || this.options.dir === '') {
      throw new GraftError(ErrorCodes.BAD_OPTION, 'no shard folder', { plugin: this.meta.name, option: 'dir', expected: 'the folder `graft tokenize --out` wrote' });
    }
  }

  get dir(): string {
    return path.resolve(this.options.dir!);
  }

  /** Before a run writes anything: the manifest is there and well formed. */
  preflight(): PreflightReport {
    const m = readShardManifest(this.dir, this.meta.name);
    this.checkCounts(m);
    return { warnings: [] };
  }

  apply(trainer: TrainerApi): void {
    this.trainer = trainer;
    // Captured now, as dataset:text-corpus does, so later draws from the root stream cannot shift the order.
    this.seed = trainer.rng.fork(this.meta.name).getState();
    trainer.tap('setup', this, () => this.open(), { stage: 'data' });
    trainer.tap('setup', this, () => this.checkTokenizer(trainer), { stage: 'encode' });
  }

  /** Read the manifest, check the shards (SHA-256 unless `verify` is false) and split them (setup stage `data`; public for use without a trainer). */
  open(): void {
    this.close();
    const o = this.options;
    const m = readShardManifest(this.dir, this.meta.name);
    this.checkCounts(m);
    if (o.verify) for (const s of m.shards) verifyShard(this.dir, m, s, this.meta.name);
    const ids = splitShards(m.shards.length, o.validationShards, o.testShards);
    const make = (shards: number[]) => new ShardWindows(this.dir, m, shards, o.seqLen, this.meta.name);
    this.manifest = m;
    this.splits = { train: make(ids.train), validation: make(ids.validation), test: make(ids.test) };
    if (this.numBatches('train') === 0) {
      throw new GraftError(ErrorCodes.DATA, `the training shards hold ${this.splits.train.count} windows of ${o.seqLen + 1} tokens: not one batch of ${o.batchSize}`, {
        plugin: this.meta.name,
        option: 'seqLen',
        hint: 'Lower seqLen or batchSize, or tokenize more text',
      });
    }
    this.trainer?.logger.info(
      `${this.meta.name}: ${m.totalTokens} tokens in ${m.shards.length} shards; ${this.splits.train.count} training windows (${this.numBatches('train')} batches), ` +
        `${this.splits.validation.count} validation, ${this.splits.test.count} test`,
    );
  }

  private checkCounts(m: ShardManifest): void {
    const o = this.options;
    if (o.validationShards + o.testShards >= m.shards.length) {
      throw new GraftError(ErrorCodes.BAD_OPTION, `${o.validationShards} validation + ${o.testShards} test shards leave none of the ${m.shards.length} for training`, {
        plugin: this.meta.name,
        option: o.testShards > 0 ? 'testShards' : 'validationShards',
        hint: 'Hold out fewer shards, or tokenize with a smaller --shard-tokens for more shards',
      });
    }
  }

  /** A tokenizer in the recipe must be the one the shards were made with. */
  private checkTokenizer(trainer: TrainerApi): void {
    const tok = trainer.maybeRole('tokenizer')?.tokenizer;
    const m = this.requireManifest();
    if (tok && tokenizerHash(tok) !== m.tokenizer.sha256) {
      throw new GraftError(ErrorCodes.DATA, `the recipe's tokenizer is not the one the shards were made with (${m.tokenizer.type}, ${m.tokenizer.vocabSize} ids, SHA-256 ${m.tokenizer.sha256.slice(0, 12)}…)`, {
        plugin: this.meta.name,
        option: 'dir',
        file: this.dir,
        hint: 'Load the same tokenizer (its `from` option), or run `graft tokenize` again with this one',
      });
    }
  }

  numBatches(split: Split): number {
    const w = this.requireSplits()[split];
    const B = this.options.batchSize;
    if (split === 'train') return Math.floor(w.count / B);
    return Math.ceil(this.heldOutWindows(split) / B);
  }

  private heldOutWindows(split: 'validation' | 'test'): number {
    const all = this.requireSplits()[split].count;
    const { maxValidationBatches: cap, batchSize: B } = this.options;
    return cap > 0 ? Math.min(all, cap * B) : all;
  }

  /**
   * Training: batch b of epoch e holds windows perm_e(bB .. bB+B), perm_e a seeded bijection over
   * the training windows (a function of (seed, e) only), so `from: k` is exactly the tail of the
   * epoch; the partial last batch is dropped. Validation / test: windows in shard order (evenly
   * spread when capped by maxValidationBatches), the last batch possibly smaller.
   */
  *batches(split: Split, opts: BatchOptions): IterableIterator<Batch> {
    const from = checkFrom(opts, this.meta.name);
    const w = this.requireSplits()[split];
    const B = this.options.batchSize;
    const n = this.numBatches(split);
    if (split === 'train') {
      const perm = epochWindowPermutation(this.requireSeed(), opts.epoch, w.count);
      for (let b = from; b < n; b++) yield this.batch(w, B, (r) => perm.at(b * B + r));
      return;
    }
    const count = this.heldOutWindows(split);
    const picked = count < w.count ? evenlySpacedIndices(w.count, count) : undefined;
    for (let b = from; b < n; b++) {
      const rows = Math.min(B, count - b * B);
      yield this.batch(w, rows, (r) => (picked ? picked[b * B + r]! : b * B + r));
    }
  }

  private batch(w: ShardWindows, rows: number, windowOf: (r: number) => number): Batch {
    const T = this.options.seqLen;
    const inputs = new Int32Array(rows * T);
    const targets = new Int32Array(rows * T);
    for (let r = 0; r < rows; r++) w.fill(windowOf(r), r, inputs, targets);
    return { inputs: tf.tensor2d(inputs, [rows, T], 'int32'), targets: tf.tensor2d(targets, [rows, T], 'int32') };
  }

  /** The manifest read at setup (counts, hashes, tokenizer). */
  shardManifest(): ShardManifest {
    return this.requireManifest();
  }

  /** Training windows per epoch (before dropping the partial batch). */
  trainWindows(): number {
    return this.requireSplits().train.count;
  }

  /** The seed of the batch order and the shards it applied to, so a resume can check them. */
  getState(): PluginState {
    const s: SavedState = { seed: this.requireSeed(), inputsKey: this.manifest?.inputsKey ?? '', trainWindows: this.splits?.train.count ?? -1 };
    return { json: s };
  }

  setState(state: PluginState): void {
    const s = state.json as Partial<SavedState> | undefined;
    if (typeof s?.seed === 'number') this.seed = s.seed;
    if (this.splits && s && (s.inputsKey !== this.manifest?.inputsKey || s.trainWindows !== this.splits.train.count)) {
      this.trainer?.logger.warn(`${this.meta.name}: the checkpoint was made on other shards (${s.trainWindows} training windows, this run has ${this.splits.train.count}): the resumed data order will differ`);
    }
  }

  dispose(): void {
    this.close();
  }

  private close(): void {
    if (!this.splits) return;
    for (const w of Object.values(this.splits)) w.close();
    this.splits = undefined;
  }

  private requireSeed(): number {
    if (this.seed === undefined) {
      throw new GraftError(ErrorCodes.DATA, 'has no seed: apply() was not called', { plugin: this.meta.name, hint: 'Add the dataset to a trainer' });
    }
    return this.seed;
  }

  private requireManifest(): ShardManifest {
    if (!this.manifest) throw new GraftError(ErrorCodes.DATA, 'the shards are not open yet (they open at setup stage "data")', { plugin: this.meta.name });
    return this.manifest;
  }

  private requireSplits(): Record<'train' | 'validation' | 'test', ShardWindows> {
    if (!this.splits) throw new GraftError(ErrorCodes.DATA, 'the shards are not open yet (they open at setup stage "data")', { plugin: this.meta.name });
    return this.splits;
  }
}
