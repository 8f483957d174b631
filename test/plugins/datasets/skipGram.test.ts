import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, Rng, silentLogger, type Batch } from '../../../core/index.ts';
import { keepProbabilities, pairChunks, SkipGramDataset, toBlocks, UnigramSampler, passBlocks } from '../../../plugins/datasets/index.ts';
import { SkipGramModel } from '../../../plugins/models/index.ts';
import { SkipGramObjective } from '../../../plugins/objectives/index.ts';
import { SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { skipGramData, toyCorpus } from '../models/skipGramToy.ts';

const corpus = toyCorpus();
test.before(async () => {
  await tf.setBackend('cpu');
});
test.after.always(() => corpus.remove());

/** A set-up dataset (tokenizer fitted, text encoded) in a trainer seeded `seed`. */
async function setUp(seed: number, o: Parameters<typeof skipGramData>[1] = {}) {
  const tr = createTrainer({ plugins: [...skipGramData(corpus.file, o), new SkipGramModel({ dim: 4 }), new SkipGramObjective(), new SgdOptimizer({ lr: 0.1, momentum: 0 })], options: { seed }, logger: silentLogger() });
  await tr.setup();
  return { tr, ds: tr.plugin('dataset:skip-gram') as SkipGramDataset };
}

/** Every batch's arrays, tensors freed. */
function read(batches: Iterable<Batch>): number[][][] {
  const out: number[][][] = [];
  for (const b of batches) {
    out.push([Array.from(b.inputs!.dataSync()), Array.from(b.targets!.dataSync()), Array.from(b.negatives!.dataSync())]);
    tf.dispose(Object.values(b));
  }
  return out;
}

test('keep probabilities follow word2vec.c by hand', (t) => {
  // total 1000 tokens, s = 0.01 → s·total = 10. count 40: (sqrt(40/10) + 1)·10/40 = 0.75; count 10: (1 + 1)·1 → 1 (capped); count 90: (3 + 1)·10/90.
  const p = keepProbabilities([40, 10, 90, 860, 0], 0.01);
  t.is(p[0], 0.75);
  t.is(p[1], 1);
  t.true(Math.abs(p[2]! - 40 / 90) < 1e-12);
  t.true(Math.abs(p[3]! - (Math.sqrt(86) + 1) / 86) < 1e-12);
  t.is(p[4], 1);
  t.deepEqual(Array.from(keepProbabilities([5, 5], 0)), [1, 1], 'sample 0 keeps everything');
});

test('negatives follow unigram^0.75 (exact table, and frequencies of 200k draws)', (t) => {
  const counts = [0, 1, 16, 81, 0, 256];
  const s = new UnigramSampler(counts, 0.75);
  // 1^0.75 = 1, 16^0.75 = 8, 81^0.75 = 27, 256^0.75 = 64: total 100.
  t.is(s.total, 100);
  t.deepEqual([0, 1, 2, 3, 4, 5].map((i) => Math.round(s.probability(i) * 1000) / 1000), [0, 0.01, 0.08, 0.27, 0, 0.64]);
  const draws = s.fill(new Rng(3), new Int32Array(200_000));
  const freq = new Array<number>(6).fill(0);
  for (const d of draws) freq[d]!++;
  t.is(freq[0], 0, 'an unseen word is never drawn');
  t.is(freq[4], 0);
  for (const [i, p] of [[1, 0.01], [2, 0.08], [3, 0.27], [5, 0.64]] as const) {
    const f = freq[i]! / draws.length;
    // 4 standard errors of a binomial proportion
    t.true(Math.abs(f - p) < 4 * Math.sqrt((p * (1 - p)) / draws.length), `id ${i}: ${f} vs ${p}`);
  }
});

test('a pass pairs each kept centre with kept neighbours inside its dynamic window and its block', (t) => {
  const blocks = toBlocks([Uint16Array.from([1, 2, 3, 4, 5, 6, 7])], 4, (n) => new Uint16Array(n));
  t.deepEqual(Array.from(blocks.starts), [0, 4, 7]);
  // window 1, nothing dropped, blocks in order: exactly the adjacent pairs inside each block.
  const pairs: string[] = [];
  for (const _ of passBlocks(blocks, { window: 1, keep: new Float64Array(8).fill(1), shuffleBlocks: false }, new Rng(1), (c, x) => void pairs.push(`${c}-${x}`)));
  t.deepEqual(pairs, ['1-2', '2-1', '2-3', '3-2', '3-4', '4-3', '5-6', '6-5', '6-7', '7-6']);
  // window 3: every distance is at most 3, and the draws give some centres fewer than 3 a side.
  const far: number[] = [];
  const long = toBlocks([Uint16Array.from({ length: 200 }, (_, i) => i)], 1000, (n) => new Uint16Array(n));
  for (const _ of passBlocks(long, { window: 3, keep: new Float64Array(200).fill(1), shuffleBlocks: false }, new Rng(2), (c, x) => void far.push(Math.abs(c - x))));
  t.true(far.every((d) => d >= 1 && d <= 3));
  const mean = far.length / 200;
  // E[2b] for b uniform in 1..3 is 4 (less near the ends).
  t.true(mean > 3.6 && mean < 4.2, `pairs per centre ${mean}`);
  // keep probability 0 for id 0: it is never a centre or a context.
  const keep = new Float64Array(200).fill(1);
  keep[0] = 0;
  const seen: number[] = [];
  for (const _ of passBlocks(long, { window: 2, keep, shuffleBlocks: false }, new Rng(2), (c, x) => void seen.push(c, x)));
  t.false(seen.includes(0));
});

test('the pair stream is seeded: same seed same pairs, another seed other pairs; chunks never hold the whole pass', (t) => {
  const blocks = toBlocks([Uint16Array.from({ length: 500 }, (_, i) => i % 50)], 60, (n) => new Uint16Array(n));
  const o = { window: 4, keep: keepProbabilities(new Array(50).fill(10), 0.01), shuffleBlocks: true, shuffleBuffer: 100 };
  const all = (seed: number) => [...pairChunks(blocks, o, seed, 'train:0', 1000, 64)].map((c) => [...c.centres].join(',') + '|' + [...c.contexts].join(','));
  t.deepEqual(all(5), all(5));
  t.notDeepEqual(all(5), all(6));
  const chunks = [...pairChunks(blocks, o, 5, 'train:0', 1000, 64)];
  t.is(chunks.length, Math.ceil(1000 / 64));
  t.is(chunks.at(-1)!.centres.length, 1000 - 15 * 64);
});

test.serial('batches: same seed same batches, another seed other batches; shapes and ids in range', async (t) => {
  const a = await setUp(1);
  const b = await setUp(1);
  const c = await setUp(2);
  const n = a.ds.numBatches('train');
  t.true(n >= 3, `${n} batches`);
  const ra = read(a.ds.batches('train', { epoch: 0 }));
  t.is(ra.length, n);
  t.deepEqual(ra, read(b.ds.batches('train', { epoch: 0 })));
  t.notDeepEqual(ra, read(c.ds.batches('train', { epoch: 0 })));
  t.notDeepEqual(ra, read(a.ds.batches('train', { epoch: 1 })), 'each epoch draws anew');
  const V = a.tr.role('tokenizer').tokenizer.vocabSize;
  for (const [inputs, targets, negatives] of ra) {
    t.is(inputs!.length, 64);
    t.is(targets!.length, 64);
    t.is(negatives!.length, 64 * 5);
    t.true([...inputs!, ...targets!, ...negatives!].every((id) => id >= 6 && id < V), 'no special token, no id outside the vocabulary');
  }
  const val = read(a.ds.batches('validation', { epoch: 0 }));
  t.is(val.length, a.ds.numBatches('validation'));
  t.deepEqual(val, read(a.ds.batches('validation', { epoch: 3 })), 'validation does not depend on the epoch');
  for (const x of [a, b, c]) x.tr.dispose();
});

test.serial('resume at batch k gives exactly batches k.. of the uninterrupted epoch', async (t) => {
  const { tr, ds } = await setUp(9);
  const n = ds.numBatches('train');
  for (const epoch of [0, 2]) {
    const whole = read(ds.batches('train', { epoch }));
    for (const k of [1, Math.floor(n / 2), n - 1]) t.deepEqual(read(ds.batches('train', { epoch, from: k })), whole.slice(k), `epoch ${epoch}, from ${k}`);
    t.deepEqual(read(ds.batches('train', { epoch, from: n })), []);
  }
  t.throws(() => [...ds.batches('train', { epoch: 0, from: -1 })], { message: /batch position/ });
  tr.dispose();
});

test.serial('subsampling drops frequent words: with sample 0 the glue words are centres more often', async (t) => {
  const share = async (sample: number) => {
    const { tr, ds } = await setUp(4, { sample });
    const tok = tr.role('tokenizer').tokenizer;
    const glue = new Set(['the', 'a', 'of', 'and', '.'].map((w) => tok.tokenToId(w)!));
    let g = 0;
    let all = 0;
    for (const [inputs] of read(ds.batches('train', { epoch: 0 }))) for (const id of inputs!) (all++, glue.has(id) && g++);
    tr.dispose();
    return g / all;
  };
  const none = await share(0);
  const strong = await share(1e-3);
  t.true(strong < none * 0.8, `share of glue words as centres: ${strong} with sampling vs ${none} without`);
});

test('bad options name the option', (t) => {
  t.throws(() => new SkipGramDataset({ sources: [] }), { message: /sources/ });
  t.throws(() => new SkipGramDataset({ sources: ['npm:nope'] }), { message: /npm:nope/ });
  t.throws(() => new SkipGramDataset({ window: 0 }), { message: /window/ });
  t.throws(() => new SkipGramDataset({ sotuParties: ['Whig-ish'], sources: ['npm:sotu'] }), { message: /sotuParties/ });
});

test.serial('a corpus too small for one batch is an error naming batchSize', async (t) => {
  const tr = createTrainer({ plugins: [...skipGramData(corpus.file, { batchSize: 1_000_000 }), new SkipGramModel({ dim: 4 }), new SkipGramObjective(), new SgdOptimizer()], logger: silentLogger() });
  await t.throwsAsync(() => tr.setup(), { message: /batchSize|not one batch/ });
  tr.dispose();
});

// 3 steps a phase over epochs of a few batches: the runs cross epochs and resume mid-epoch.
pluginConformance(test, {
  make: () => new SkipGramDataset({ sources: [corpus.file], batchSize: 128, shuffleBuffer: 64, blockTokens: 40, validationFraction: 0.2, chunkChars: 256, maxValidationBatches: 2 }),
  recipe: () => [skipGramData(corpus.file)[1]!, new SkipGramModel({ dim: 4 }), new SkipGramObjective(), new SgdOptimizer({ lr: 0.5, momentum: 0 })],
  // The data and vocabulary fix the parameters' shapes: no checkpoint of a recipe without them.
  without: false,
  steps: 3,
});
