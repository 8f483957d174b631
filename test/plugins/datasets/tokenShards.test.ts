import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, ErrorCodes, GraftError, silentLogger, type GraftPlugin } from '../../../core/index.ts';
import {
  lastSafeCut,
  readShardManifest,
  splitShards,
  textPieces,
  tokenizeToShards,
  TokenShardsDataset,
  WindowPermutation,
  epochWindowPermutation,
  type TokenShardsOptions,
} from '../../../plugins/datasets/index.ts';
import { encodeStream } from '../../../plugins/datasets/shared/encodeStream.ts';
import { readText } from '../../../plugins/datasets/shared/textFiles.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ByteBpeTokenizer, ByteBpeTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { collect, pseudoText } from './helpers/setup.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const root = mkdtempSync(path.join(tmpdir(), 'graft-shards-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

/** Words from a fixed pseudo-random stream, with newlines, CRLF, a tab and some multi-byte text. */
function prose(n: number, seed: number): string {
  const words = pseudoText(n * 6, seed, 'abcdefghij klmnop qrs tuv wxyz ').split(/ +/).filter(Boolean);
  return words.map((w, i) => (i % 17 === 16 ? `${w}.\r\n` : i % 29 === 0 ? `${w} été\t` : `${w} `)).join('');
}

const corpusDir = path.join(root, 'corpus');
mkdirSync(path.join(corpusDir, 'b'), { recursive: true });
writeFileSync(path.join(corpusDir, 'a.txt'), '\ufeff' + prose(1200, 1));
writeFileSync(path.join(corpusDir, 'b', 'c.txt'), prose(900, 2));
writeFileSync(path.join(corpusDir, 'b', 'empty.txt'), '');
const files = [path.join(corpusDir, 'a.txt'), path.join(corpusDir, 'b', 'c.txt')];

const tokenizer = ByteBpeTokenizer.fit(files.map((f) => readText(f, 't')), { vocabSize: 300, specials: ['pad', 'eos'] });
const otherTokenizer = ByteBpeTokenizer.fit(files.map((f) => readText(f, 't')), { vocabSize: 280, specials: ['pad', 'eos'] });
const tokFile = path.join(root, 'tokenizer.json');
writeFileSync(tokFile, JSON.stringify(tokenizer.toJSON()));

/** The token stream the whole corpus makes in memory (documents joined by eos), as dataset:text-corpus encodes it. */
const expectedStream = encodeStream(files.map((f) => readText(f, 't')), tokenizer, tokenizer.specials.eos, 't');

const SHARD_TOKENS = 700;
const shardsDir = path.join(root, 'shards');
const first = tokenizeToShards({ sources: [corpusDir], tokenizer, out: shardsDir, shardTokens: SHARD_TOKENS });

function shardStream(dir: string): number[] {
  const m = readShardManifest(dir, 't');
  return m.shards.flatMap((s) => Array.from(new Uint16Array(new Uint8Array(readFileSync(path.join(dir, s.file))).buffer)));
}

test('textPieces: small reads give the text readText gives, and encoding the pieces apart equals encoding it whole', (t) => {
  const f = path.join(corpusDir, 'a.txt');
  for (const chunk of [7, 64, 1000]) {
    const pieces = [...textPieces(f, 't', chunk)];
    t.true(pieces.length > 1, `chunk ${chunk}`);
    t.is(pieces.join(''), readText(f, 't'));
    const apart = pieces.flatMap((p) => Array.from(tokenizer.encode(p)));
    t.deepEqual(apart, Array.from(tokenizer.encode(readText(f, 't'))));
  }
});

test('lastSafeCut: before a single space between two non-space characters, else -1', (t) => {
  t.is(lastSafeCut('ab cd  ef'), 2);
  t.is(lastSafeCut('ab\n cd'), -1);
  t.is(lastSafeCut('a  b'), -1);
  t.is(lastSafeCut('x y z'), 3);
});

test('sharding: counts, manifest, hashes, and the shards hold the in-memory token stream', (t) => {
  const m = first.manifest;
  t.false(first.reused);
  t.is(m.format, 'graft-token-shards');
  t.is(m.dtype, 'uint16');
  t.is(m.totalTokens, expectedStream.length);
  t.is(m.shards.length, Math.ceil(expectedStream.length / SHARD_TOKENS));
  m.shards.forEach((s, i) => {
    t.is(s.tokens, i < m.shards.length - 1 ? SHARD_TOKENS : expectedStream.length - SHARD_TOKENS * (m.shards.length - 1));
    const bytes = readFileSync(path.join(shardsDir, s.file));
    t.is(bytes.length, s.tokens * 2);
    t.is(s.sha256, createHash('sha256').update(bytes).digest('hex'));
  });
  t.is(m.source.documents, 2, 'the empty file is no document');
  t.is(m.separator, tokenizer.specials.eos!);
  t.is(m.tokenizer.vocabSize, tokenizer.vocabSize);
  t.deepEqual(shardStream(shardsDir), Array.from(expectedStream));
});

test('re-running with the same inputs reuses the shards; a changed tokenizer or source re-tokenizes', (t) => {
  const before = statSync(path.join(shardsDir, 'shards.json')).mtimeMs;
  const again = tokenizeToShards({ sources: [corpusDir], tokenizer, out: shardsDir, shardTokens: SHARD_TOKENS });
  t.true(again.reused);
  t.is(statSync(path.join(shardsDir, 'shards.json')).mtimeMs, before);
  const dir = path.join(root, 'shards-retok');
  tokenizeToShards({ sources: [corpusDir], tokenizer, out: dir, shardTokens: SHARD_TOKENS });
  const other = tokenizeToShards({ sources: [corpusDir], tokenizer: otherTokenizer, out: dir, shardTokens: SHARD_TOKENS });
  t.false(other.reused);
  t.not(other.manifest.tokenizer.sha256, first.manifest.tokenizer.sha256);
  t.deepEqual(shardStream(dir), Array.from(encodeStream(files.map((f) => readText(f, 't')), otherTokenizer, otherTokenizer.specials.eos, 't')));
  // A touched source (new modification time) is another input.
  const f = path.join(root, 'one.txt');
  writeFileSync(f, prose(300, 3));
  const one = path.join(root, 'shards-one');
  tokenizeToShards({ sources: [f], tokenizer, out: one, shardTokens: SHARD_TOKENS });
  utimesSync(f, new Date(), new Date(Date.now() + 5000));
  t.false(tokenizeToShards({ sources: [f], tokenizer, out: one, shardTokens: SHARD_TOKENS }).reused);
});

test('a non-empty folder that is not a shard folder is never replaced', (t) => {
  const dir = path.join(root, 'occupied');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
  const e = t.throws(() => tokenizeToShards({ sources: [corpusDir], tokenizer, out: dir }), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.USAGE);
  t.is(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'keep me');
});

test('WindowPermutation is a bijection of [0, n); the order depends on seed and epoch only', (t) => {
  for (const n of [1, 2, 3, 5, 16, 17, 100, 1000, 4099]) {
    const p = new WindowPermutation(n, [1, 2, 3, 4]);
    const seen = Array.from({ length: n }, (_, i) => p.at(i)).sort((a, b) => a - b);
    t.deepEqual(seen, Array.from({ length: n }, (_, i) => i), `n = ${n}`);
  }
  const order = (seed: number, epoch: number) => Array.from({ length: 200 }, (_, i) => epochWindowPermutation(seed, epoch, 200).at(i));
  t.deepEqual(order(5, 0), order(5, 0));
  t.notDeepEqual(order(5, 0), order(6, 0));
  t.notDeepEqual(order(5, 0), order(5, 1));
  t.notDeepEqual(order(5, 0), Array.from({ length: 200 }, (_, i) => i));
});

test('splitShards: held-out shards evenly spaced, training the rest', (t) => {
  t.deepEqual(splitShards(10, 2, 1), { train: [0, 1, 3, 4, 5, 6, 8, 9].filter((i) => i !== 5), validation: [2, 7], test: [5] });
  t.deepEqual(splitShards(3, 0, 0), { train: [0, 1, 2], validation: [], test: [] });
});

const T = 8;
const B = 4;
const opts = (o: Partial<TokenShardsOptions> = {}): TokenShardsOptions => ({ dir: shardsDir, seqLen: T, batchSize: B, validationShards: 1, ...o });
const tiny = () => [new ByteBpeTokenizerPlugin({ from: tokFile }), new GptModel({ contextLength: T, nLayers: 1, nHeads: 2, dModel: 8, dropout: 0 }), new LmHead(), new NextTokenObjective(), new ToySgd(0.1)];

async function setUp(o: Partial<TokenShardsOptions> = {}, seed = 1, recipe: GraftPlugin[] = tiny()) {
  const ds = new TokenShardsDataset(opts(o));
  const tr = createTrainer({ plugins: [ds, ...recipe], options: { seed }, logger: silentLogger() });
  await tr.setup();
  return { tr, ds };
}

test('windows are T+1 consecutive tokens of one training shard, each visited once per epoch', async (t) => {
  const { tr, ds } = await setUp();
  const m = ds.shardManifest();
  const split = splitShards(m.shards.length, 1, 0);
  const stream = Array.from(expectedStream);
  // Every training window, as the text of its T+1 tokens.
  const all: string[] = [];
  for (const s of split.train) {
    const start = s * SHARD_TOKENS;
    for (let k = 0; k < Math.floor((m.shards[s]!.tokens - 1) / T); k++) all.push(stream.slice(start + k * T, start + k * T + T + 1).join(','));
  }
  t.is(ds.trainWindows(), all.length);
  const seen: string[] = [];
  for (const b of collect(ds, 'train', 0)) {
    (b.inputs as number[][]).forEach((row, r) => {
      t.deepEqual((b.targets as number[][])[r]!.slice(0, -1), row.slice(1));
      seen.push([...row, (b.targets as number[][])[r]!.at(-1)!].join(','));
    });
  }
  t.is(seen.length, Math.floor(all.length / B) * B);
  // No window twice: every window seen uses up one occurrence of it among the training windows.
  const left = new Map<string, number>();
  for (const w of all) left.set(w, (left.get(w) ?? 0) + 1);
  for (const w of seen) {
    t.true((left.get(w) ?? 0) > 0, `window ${w} seen more often than it exists`);
    left.set(w, left.get(w)! - 1);
  }
  // Validation: the held-out shard's windows, in order.
  const v = split.validation[0]!;
  const val = collect(ds, 'validation').flatMap((b) => b.inputs as number[][]);
  t.deepEqual(val[0], stream.slice(v * SHARD_TOKENS, v * SHARD_TOKENS + T));
  t.is(val.length, Math.floor((m.shards[v]!.tokens - 1) / T));
  tr.dispose();
});

test('seeded order: the same seed gives the same batches, another seed others; resume from batch k is the tail', async (t) => {
  const a = await setUp({}, 3);
  const b = await setUp({}, 3);
  const c = await setUp({}, 4);
  const epochA = collect(a.ds, 'train', 1);
  t.deepEqual(epochA, collect(b.ds, 'train', 1));
  t.notDeepEqual(epochA, collect(c.ds, 'train', 1));
  t.notDeepEqual(epochA, collect(a.ds, 'train', 2));
  for (const k of [1, 5, epochA.length - 1]) t.deepEqual(collect(b.ds, 'train', 1, k), epochA.slice(k));
  // A dataset restored from another's state (a resumed run) continues with the same batches.
  const d = await setUp({}, 99);
  d.ds.setState(a.ds.getState()!);
  t.deepEqual(collect(d.ds, 'train', 1, 4), epochA.slice(4));
  for (const x of [a, b, c, d]) x.tr.dispose();
});

test('a corrupt shard (hash mismatch) and a missing one are errors naming the shard', async (t) => {
  const dir = path.join(root, 'shards-bad');
  const r = tokenizeToShards({ sources: [corpusDir], tokenizer, out: dir, shardTokens: SHARD_TOKENS });
  const victim = r.manifest.shards[2]!.file;
  const f = path.join(dir, victim);
  const bytes = readFileSync(f);
  bytes[10] = bytes[10]! ^ 1;
  writeFileSync(f, bytes);
  const e = await t.throwsAsync(setUp({ dir }), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.DATA);
  t.true(e!.message.includes(victim) && e!.message.includes('corrupt'), e!.message);
  // verify: false still checks sizes: a missing shard is named.
  unlinkSync(f);
  const e2 = await t.throwsAsync(setUp({ dir, verify: false }), { instanceOf: GraftError });
  t.true(e2!.message.includes(victim) && e2!.message.includes('missing'), e2!.message);
});

test('a recipe whose tokenizer is not the shards\' is refused', async (t) => {
  const other = path.join(root, 'other-tokenizer.json');
  writeFileSync(other, JSON.stringify(otherTokenizer.toJSON()));
  const recipe = [new ByteBpeTokenizerPlugin({ from: other }), ...tiny().slice(1)];
  const e = await t.throwsAsync(setUp({}, 1, recipe), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.DATA);
  t.regex(e!.message, /not the one the shards were made with/);
});

test('holding out every shard is a bad option naming it', (t) => {
  const e = t.throws(() => new TokenShardsDataset(opts({ validationShards: 40 })).preflight(), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.BAD_OPTION);
  t.is(e!.details.option, 'validationShards');
});

// Training steps without a leak are the conformance suite's first check, below.
test.serial('memory: no tensor is left behind over epochs of batches', async (t) => {
  const { tr, ds } = await setUp();
  for (const b of ds.batches('train', { epoch: 0 })) tf.dispose(Object.values(b));
  const before = tf.memory().numTensors;
  for (let e = 1; e < 3; e++) for (const b of ds.batches('train', { epoch: e })) tf.dispose(Object.values(b));
  t.is(tf.memory().numTensors, before);
  for (const b of ds.batches('validation', { epoch: 0 })) tf.dispose(Object.values(b));
  t.is(tf.memory().numTensors, before);
  tr.dispose();
});

pluginConformance(test, {
  make: () => new TokenShardsDataset({ dir: shardsDir, seqLen: T, batchSize: B, validationShards: 1, maxValidationBatches: 2 }),
  recipe: () => tiny(),
  // The tokenizer's vocabulary fixes the model's shapes, and a recipe needs a dataset: no checkpoint without it to continue.
  without: false,
  steps: 2,
  // Open file descriptors of the shards: which files this process happens to have open, not training state.
  ignoreFields: ['splits.train.fds', 'splits.validation.fds', 'splits.test.fds'],
});
