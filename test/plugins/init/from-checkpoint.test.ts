import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createTrainer, createDense, createEmbedding, silentLogger, GraftError, ErrorCodes, type GraftPlugin, type Trainer } from '../../../core/index.ts';
import { FromCheckpointInit, planWarmStart } from '../../../plugins/init/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { fixedWordTokenizer, row, tempDir, values } from './helpers.ts';

// 6 specials (xxunk, xxpad, xxbos, xxeos, xxmaj, xxup), then the words.
const OLD_WORDS = ['the', 'cat', 'sat', 'on', 'mat'];
// Reordered; "cat" dropped; "dog", "rug", "hat" new.
const NEW_WORDS = ['mat', 'the', 'dog', 'on', 'sat', 'rug', 'hat'];
const D = 8;
const VOCAB_OPTS = { vocabParams: [{ name: 'backbone.embed', axis: 0 }] };

// Created at import: the conformance suite builds the plugin when the tests are declared.
const dir = path.join(tempDir(), 'stage1');

function oldRecipe(): GraftPlugin[] {
  const V = 6 + OLD_WORDS.length;
  return [fixedWordTokenizer(OLD_WORDS), new ToyModel({ vocab: V, dim: D }), new ToyObjective(), new ToySgd(), new ToyDataset({ vocab: V })];
}

function newRecipe(extra: GraftPlugin[] = [], dim = D): GraftPlugin[] {
  const V = 6 + NEW_WORDS.length;
  return [fixedWordTokenizer(NEW_WORDS), new ToyModel({ vocab: V, dim }), new ToyObjective(), new ToySgd(), new ToyDataset({ vocab: V }), ...extra];
}

function build(plugins: GraftPlugin[], seed = 7): Trainer {
  return createTrainer({ plugins, options: { seed, epochs: 10, maxSteps: 3 }, logger: silentLogger() });
}

let old: Trainer;

test.before(async () => {
  await tf.setBackend('cpu');
  old = build(oldRecipe(), 1);
  await old.fit();
  await old.save(dir);
});

test.after.always(() => {
  old?.dispose();
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

test.serial('warm start: shared tokens keep their rows, new tokens get the mean row, the new head is untouched', async (t) => {
  const plugin = new FromCheckpointInit({ path: dir, ...VOCAB_OPTS });
  const warm = build(newRecipe([plugin]));
  const fresh = build(newRecipe());
  await warm.setup();
  await fresh.setup();

  const oldEmbed = values(old, 'backbone.embed');
  const newEmbed = values(warm, 'backbone.embed');
  const oldTok = old.role('tokenizer').tokenizer;
  const newTok = warm.role('tokenizer').tokenizer;
  const Vo = oldTok.vocabSize;
  const mean = new Array(D).fill(0);
  for (let i = 0; i < Vo; i++) for (let k = 0; k < D; k++) mean[k] += oldEmbed[i * D + k]! / Vo;
  let carried = 0;
  for (let j = 0; j < newTok.vocabSize; j++) {
    const tok = newTok.idToToken(j);
    const i = oldTok.tokenToId(tok);
    if (i !== undefined) {
      carried++;
      t.deepEqual(row(newEmbed, j, D), row(oldEmbed, i, D), `row of "${tok}" carried over`);
    } else {
      row(newEmbed, j, D).forEach((v, k) => t.true(Math.abs(v - mean[k]) < 1e-6, `"${tok}"[${k}] = ${v}, mean ${mean[k]}`));
    }
  }
  t.is(carried, 6 + 4); // specials + mat, the, on, sat
  // The other backbone parameters are copied as they are.
  t.deepEqual(values(warm, 'backbone.proj.kernel'), values(old, 'backbone.proj.kernel'));
  t.deepEqual(values(warm, 'backbone.proj.bias'), values(old, 'backbone.proj.bias'));
  // The head (a different shape: the new vocabulary) is as built, bit for bit.
  t.deepEqual(warm.params.get('head.out.kernel').shape, [D, newTok.vocabSize]);
  t.deepEqual(values(warm, 'head.out.kernel'), values(fresh, 'head.out.kernel'));
  t.deepEqual(values(warm, 'head.out.bias'), values(fresh, 'head.out.bias'));
  // The report says what happened.
  t.deepEqual(plugin.report?.vocab, { carried: 10, added: 3, dropped: 1, remapped: ['backbone.embed'] });
  t.deepEqual(plugin.report?.loaded.sort(), ['backbone.embed', 'backbone.proj.bias', 'backbone.proj.kernel']);
  // And the warm-started model trains.
  const res = await warm.fit();
  t.is(res.state.step, 3);
  warm.dispose();
  fresh.dispose();
});

test.serial('an output layer [D, V] and its bias [V] are re-indexed on their vocabulary axis', async (t) => {
  const vocabParams = [
    { name: 'backbone.embed', axis: 0 },
    { name: 'head.out.kernel', axis: 1 },
    { name: 'head.out.bias', axis: 0 },
  ];
  const plugin = new FromCheckpointInit({ path: dir, select: '**', vocabParams });
  const tr = build(newRecipe([plugin]));
  await tr.setup();
  const oldTok = old.role('tokenizer').tokenizer;
  const newTok = tr.role('tokenizer').tokenizer;
  const Vo = oldTok.vocabSize;
  const Vn = newTok.vocabSize;
  const oldK = values(old, 'head.out.kernel');
  const newK = values(tr, 'head.out.kernel');
  const oldB = values(old, 'head.out.bias');
  const newB = values(tr, 'head.out.bias');
  const meanB = oldB.reduce((a, b) => a + b, 0) / Vo;
  for (let j = 0; j < Vn; j++) {
    const i = oldTok.tokenToId(newTok.idToToken(j));
    for (let d = 0; d < D; d++) {
      const want = i !== undefined ? oldK[d * Vo + i]! : Array.from({ length: Vo }, (_, v) => oldK[d * Vo + v]!).reduce((a, b) => a + b, 0) / Vo;
      t.true(Math.abs(newK[d * Vn + j]! - want) < 1e-6, `kernel[${d}, ${j}]`);
    }
    t.true(Math.abs(newB[j]! - (i !== undefined ? oldB[i]! : meanB)) < 1e-6, `bias[${j}]`);
  }
  t.deepEqual(plugin.report?.vocab?.remapped.sort(), ['backbone.embed', 'head.out.bias', 'head.out.kernel']);
  tr.dispose();
});

test.serial('the hand-over is logged: tokens carried over vs new', async (t) => {
  const lines: string[] = [];
  const logger = silentLogger();
  logger.on('data', (info: { message: string }) => lines.push(info.message));
  const tr = createTrainer({ plugins: newRecipe([new FromCheckpointInit({ path: dir, ...VOCAB_OPTS })]), options: { seed: 7 }, logger });
  await tr.setup();
  t.true(lines.some((l) => /10 tokens carried over, 3 new \(mean row\), 1 old tokens dropped/.test(l)), lines.join('\n'));
  tr.dispose();
});

test.serial('without remapVocab a different vocabulary is a shape error naming the parameter and the file', async (t) => {
  const tr = build(newRecipe([new FromCheckpointInit({ path: dir, remapVocab: false })]));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.CHECKPOINT);
  t.regex(e!.message, /parameter "backbone\.embed" has shape \[11,8\] in the checkpoint but \[13,8\] in the model/);
  t.true(e!.message.includes(dir), e!.message);
  tr.dispose();
});

test.serial('a width mismatch is reported after re-indexing, and nothing is assigned', async (t) => {
  const fresh = build(newRecipe([], 6));
  await fresh.setup();
  const tr = build(newRecipe([new FromCheckpointInit({ path: dir, ...VOCAB_OPTS })], 6));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /parameter "backbone\.embed" has shape \[13,8\] in the checkpoint \(after vocabulary re-indexing\) but \[13,6\]/);
  t.true(e!.message.includes(dir));
  for (const n of fresh.params.names()) t.deepEqual(values(tr, n), values(fresh, n), n);
  fresh.dispose();
  tr.dispose();
});

/** Adds a backbone parameter the checkpoint does not have. */
const extraParam: GraftPlugin = {
  meta: { name: 'test:extra', kind: 'test' },
  apply(t) {
    t.tap('setup', 'test:extra', () => createEmbedding(t.params, t.rng.fork('x'), 'backbone.extra', 2, 2), { stage: 'build' });
  },
};

test.serial('strict: a model parameter the selection covers but the checkpoint lacks is an error naming it and the file', async (t) => {
  const tr = build(newRecipe([extraParam, new FromCheckpointInit({ path: dir, ...VOCAB_OPTS })]));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /model parameter "backbone\.extra" covered by the selection but absent from the checkpoint/);
  t.true(e!.message.includes(dir));
  t.regex(e!.message, /plugin "init:from-checkpoint"/);
  tr.dispose();
});

test.serial('strict: a selected checkpoint parameter the model lacks is an error naming it and the file', async (t) => {
  const tr = build(newRecipe([new FromCheckpointInit({ path: dir, select: '**', ...VOCAB_OPTS, rename: { from: 'head.out.', to: 'head.cls.' } })]));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /checkpoint parameters "head\.out\.bias", "head\.out\.kernel" selected but absent from the model/);
  t.true(e!.message.includes(dir));
  tr.dispose();
});

test.serial('strict: false skips what does not fit and loads the rest', async (t) => {
  const plugin = new FromCheckpointInit({ path: dir, ...VOCAB_OPTS, strict: false });
  const tr = build(newRecipe([extraParam, plugin]));
  await tr.setup();
  t.deepEqual(plugin.report?.missing, ['backbone.extra']);
  t.deepEqual(values(tr, 'backbone.proj.kernel'), values(old, 'backbone.proj.kernel'));
  tr.dispose();
});

/** Adds a second projection, `backbone.proj2`, shaped like `backbone.proj`. */
const secondProj: GraftPlugin = {
  meta: { name: 'test:proj2', kind: 'test' },
  apply(t) {
    t.tap('setup', 'test:proj2', () => createDense(t.params, t.rng.fork('p2'), 'backbone.proj2', D, D), { stage: 'build' });
  },
};

test.serial('rename maps checkpoint prefixes to model prefixes', async (t) => {
  const plugin = new FromCheckpointInit({ path: dir, select: 'backbone.proj.*', rename: { from: 'backbone.proj.', to: 'backbone.proj2.' } });
  const tr = build(newRecipe([secondProj, plugin]));
  const fresh = build(newRecipe([secondProj]));
  await tr.setup();
  await fresh.setup();
  t.deepEqual(plugin.report?.loaded.sort(), ['backbone.proj2.bias', 'backbone.proj2.kernel']);
  t.deepEqual(values(tr, 'backbone.proj2.kernel'), values(old, 'backbone.proj.kernel'));
  t.deepEqual(values(tr, 'backbone.proj.kernel'), values(fresh, 'backbone.proj.kernel'));
  tr.dispose();
  fresh.dispose();
});

test('planWarmStart matches names both ways, through a rename', (t) => {
  const plan = planWarmStart(['encoder.a', 'encoder.b', 'head.x'], ['backbone.a', 'backbone.c', 'head.y'], 'encoder.**', { from: 'encoder.', to: 'backbone.' });
  t.deepEqual(plan.pairs, [{ from: 'encoder.a', to: 'backbone.a' }]);
  t.deepEqual(plan.unexpected, ['encoder.b']);
  t.deepEqual(plan.missing, ['backbone.c']);
});

test('bad options are errors naming the option', (t) => {
  t.throws(() => new FromCheckpointInit({}), { message: /option "path"/ });
  t.throws(() => new FromCheckpointInit({ path: 'x', select: 3 }), { message: /option "select"/ });
  t.throws(() => new FromCheckpointInit({ path: 'x', rename: { from: 'a' } }), { message: /option "rename"/ });
  t.throws(() => new FromCheckpointInit({ path: 'x', vocabParams: [{ name: 'e', axis: -1 }] }), { message: /option "vocabParams"/ });
  t.throws(() => new FromCheckpointInit({ path: 'x', stritc: true } as never), { message: /option "stritc"/ });
});

test.serial('a tokenizer the loader cannot rebuild is an error naming the plugin state and the file', async (t) => {
  const loadTokenizer = () => {
    throw new Error('unknown type');
  };
  const tr = build(newRecipe([new FromCheckpointInit({ path: dir, ...VOCAB_OPTS }, { loadTokenizer })]));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /cannot rebuild the checkpoint's tokenizer \(state of "tokenizer:word"\): unknown type/);
  t.true(e!.message.includes(dir));
  tr.dispose();
});

test.serial('a listed vocabulary parameter whose axis is not the saved vocabulary size is an error naming it', async (t) => {
  const vocabParams = [...VOCAB_OPTS.vocabParams, { name: 'backbone.proj.kernel', axis: 0 }];
  const tr = build(newRecipe([new FromCheckpointInit({ path: dir, vocabParams })]));
  const e = await t.throwsAsync(tr.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /option "vocabParams".*"backbone\.proj\.kernel" \[8,8\] has 8 entries on axis 0, but the checkpoint's tokenizer \(tokenizer:word\) has 11 tokens/);
  tr.dispose();
});

test.serial('without a tokenizer in the new recipe, parameters load by name without re-indexing', async (t) => {
  const plugin = new FromCheckpointInit({ path: dir, ...VOCAB_OPTS });
  const tr = build([new ToyModel({ vocab: 11, dim: D }), new ToyObjective(), new ToySgd(), new ToyDataset({ vocab: 11 }), plugin]);
  await tr.setup();
  t.is(plugin.report?.vocab, undefined);
  t.deepEqual(values(tr, 'backbone.embed'), values(old, 'backbone.embed'));
  tr.dispose();
});

test.serial('a missing checkpoint folder is an error naming it', async (t) => {
  const tr = build(newRecipe([new FromCheckpointInit({ path: path.join(path.dirname(dir), 'nope') })]));
  await t.throwsAsync(tr.setup(), { message: /nope/ });
  tr.dispose();
});

pluginConformance(test, {
  make: () => new FromCheckpointInit({ path: dir, ...VOCAB_OPTS }),
  recipe: () => newRecipe(),
  // what this process's setup did: a resumed run restores the checkpoint instead of warm-starting
  ignoreFields: ['report'],
});
