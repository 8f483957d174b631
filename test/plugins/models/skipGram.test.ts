import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, silentLogger, CoreResources } from '../../../core/index.ts';
import { ExportVectorsCallback, formatFloat32, gloveText } from '../../../plugins/callbacks/index.ts';
import { PretrainedEmbeddingsInit } from '../../../plugins/init/index.ts';
import { SkipGramModel } from '../../../plugins/models/index.ts';
import { SkipGramObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { skipGramData, toyCorpus } from './skipGramToy.ts';

const corpus = toyCorpus();
const out = mkdtempSync(path.join(tmpdir(), 'graft-sgns-export-'));
test.before(async () => {
  await tf.setBackend('cpu');
});
test.after.always(() => {
  corpus.remove();
  rmSync(out, { recursive: true, force: true });
});

const recipe = (extra: ReturnType<typeof skipGramData> = []) => [...skipGramData(corpus.file), new SkipGramModel({ dim: 6 }), new SkipGramObjective(), new AdamwOptimizer({ lr: 0.05, weightDecay: 0 }), ...extra];

test.serial('word2vec init: input vectors uniform in ±0.5/dim, output vectors zero; the scores are u·v', async (t) => {
  const tr = createTrainer({ plugins: recipe(), logger: silentLogger() });
  await tr.setup();
  const V = tr.role('tokenizer').tokenizer.vocabSize;
  const v = tr.params.get('backbone.tokEmbed');
  const u = tr.params.get('backbone.ctxEmbed');
  t.deepEqual(v.shape, [V, 6]);
  t.deepEqual(u.shape, [V, 6]);
  const vs = v.dataSync();
  t.true(vs.every((x) => Math.abs(x) <= 0.5 / 6) && vs.some((x) => Math.abs(x) > 0.05), 'uniform in ±0.5/dim');
  t.true(u.dataSync().every((x) => x === 0));
  t.is(tr.role('model').featureSize, 6);
  t.is(tr.role('model').vocabSize, V);
  // Scores by hand with the output vectors set to known values.
  u.assign(tf.tidy(() => tf.mul(tf.ones([V, 6]), tf.reshape(tf.range(0, V, 1, 'float32'), [V, 1]))));
  const model = tr.role('model');
  tf.tidy(() => {
    const o = model.forward(
      { inputs: tf.tensor1d([7, 8], 'int32'), targets: tf.tensor1d([9, 10], 'int32'), negatives: tf.tensor2d([[11, 6], [6, 7]], [2, 2], 'int32') },
      { training: false, params: tr.params, rng: tr.rng, intercept: (_n: string, x: tf.Tensor) => x },
    );
    const rowSum = (r: number) => Array.from(vs.slice(r * 6, r * 6 + 6)).reduce((a, b) => a + b, 0);
    const expected = [[9, 11, 6].map((k) => k * rowSum(7)), [10, 6, 7].map((k) => k * rowSum(8))];
    const got = o.logits!.arraySync() as number[][];
    expected.forEach((row, i) => row.forEach((e, j) => t.true(Math.abs(got[i]![j]! - e) < 1e-5, `[${i},${j}] ${got[i]![j]} vs ${e}`)));
    t.deepEqual(o.features!.shape, [2, 6]);
    // Without targets: the word vectors of any ids.
    const f = model.forward({ inputs: tf.tensor2d([[7, 8]], [1, 2], 'int32') }, { training: false, params: tr.params, rng: tr.rng, intercept: (_n: string, x: tf.Tensor) => x });
    t.deepEqual(f.features!.shape, [1, 2, 6]);
    t.is(f.logits, undefined);
    t.throws(() => model.forward({ inputs: tf.tensor1d([1, 2], 'int32'), targets: tf.tensor1d([1], 'int32') }, { training: false, params: tr.params, rng: tr.rng, intercept: (_n: string, x: tf.Tensor) => x }), { message: /inputs \[B\], targets \[B\]/ });
  });
  tr.dispose();
});

test.serial('training lowers the loss and keeps the tensor count flat across steps', async (t) => {
  const tr = createTrainer({ plugins: recipe(), options: { maxSteps: 60, epochs: 100 }, logger: silentLogger() });
  await tr.setup();
  const before = (await tr.evaluate('validation')).validation_loss!;
  const counts: number[] = [];
  tr.tap('afterStep', 'test', () => void counts.push(tf.memory().numTensors));
  const { state } = await tr.fit();
  t.is(state.step, 60);
  t.true(counts.every((c) => c === counts[0]), `tensor counts ${[...new Set(counts)]}`);
  const after = (await tr.evaluate('validation')).validation_loss!;
  t.log(`validation loss ${before} -> ${after}`);
  t.true(after < before - 0.3, `validation loss ${before} → ${after}`);
  tr.dispose();
});

test('formatFloat32 prints at most 9 significant digits that read back to the same float32', (t) => {
  const xs = Float32Array.from([0.1, -1 / 3, 1e-8, 123456.789, 0, -0.5, 3.4e38, 1.17549435e-38]);
  for (const x of xs) {
    const s = formatFloat32(x);
    t.is(Math.fround(Number(s)), x, s);
    t.true(s.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length <= 9, s);
  }
  const g = gloveText(['xxunk', 'whale', 'two words', 'sea'], Float32Array.from([9, 9, 0.5, -0.25, 1, 1, 0.1, 2]), 2, new Set([0]));
  t.is(g.text, 'whale 0.5 -0.25\nsea 0.1 2\n');
  t.is(g.written, 2);
  t.deepEqual(g.unwritable, ['two words']);
});

test.serial('GloVe export round-trip: callback:export-vectors writes, init:pretrained-embeddings reads back bit-identical', async (t) => {
  const file = path.join(out, 'vectors.txt');
  const tr = createTrainer({ plugins: recipe([new ExportVectorsCallback({ file })]), options: { maxSteps: 5, epochs: 10 }, logger: silentLogger() });
  await tr.fit();
  const tok = tr.role('tokenizer').tokenizer;
  const trained = tr.params.get('backbone.tokEmbed').dataSync();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  t.is(lines.length, tok.vocabSize - 6, 'one line per word, the 6 specials (xxunk ... xxup) left out');
  t.false(lines.some((l) => /^xx(unk|pad|bos|eos|maj|up) /.test(l)));
  t.is(lines[0]!.split(' ').length, 7);
  t.is(tr.resources.get(CoreResources.stageResult)?.vectors_words, tok.vocabSize - 6);
  // A fresh model (another seed: other initial values) initialised from the file.
  const fresh = createTrainer({ plugins: [...recipe(), new PretrainedEmbeddingsInit({ source: file, lowercase: false })], options: { seed: 99 }, logger: silentLogger() });
  await fresh.setup();
  t.is(fresh.role('tokenizer').tokenizer.vocabSize, tok.vocabSize);
  const read = fresh.params.get('backbone.tokEmbed').dataSync();
  let words = 0;
  for (let id = 6; id < tok.vocabSize; id++) {
    for (let k = 0; k < 6; k++) t.is(read[id * 6 + k], trained[id * 6 + k], `${tok.idToToken(id)}[${k}]`);
    words++;
  }
  t.is(words, lines.length);
  t.is((fresh.plugin('init:pretrained-embeddings') as PretrainedEmbeddingsInit).report?.found, lines.length);
  tr.dispose();
  fresh.dispose();
});

pluginConformance(test, {
  make: () => new SkipGramModel({ dim: 5 }),
  recipe: () => [...skipGramData(corpus.file), new SkipGramObjective(), new SgdOptimizer({ lr: 0.5, momentum: 0 })],
  // The model holds the parameters: a checkpoint of another model cannot be resumed with it.
  without: false,
});

pluginConformance(test, {
  make: () => new ExportVectorsCallback({ file: path.join(out, 'conformance-vectors.txt') }),
  recipe: () => [...skipGramData(corpus.file), new SkipGramModel({ dim: 3 }), new SkipGramObjective(), new SgdOptimizer({ lr: 0.5, momentum: 0 })],
});
