import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, Rng, silentLogger, type Batch, type GraftPlugin, type SpecialToken, type Tokenizer } from '../../../core/index.ts';
import { MaskedLmObjective, maskTokens, tokenCrossEntropy, type MaskingConfig } from '../../../plugins/objectives/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function tokenizer(vocabSize: number, specials: Partial<Record<SpecialToken, number>>): GraftPlugin & { tokenizer: Tokenizer } {
  return { meta: { name: 'tokenizer:inline', kind: 'tokenizer' }, tokenizer: { type: 'inline', vocabSize, specials } as unknown as Tokenizer, apply() {} };
}

function recipe(obj: MaskedLmObjective, tok = tokenizer(11, { pad: 0, mask: 10 }), seed = 5) {
  return createTrainer({
    plugins: [new GptModel({ vocabSize: 11, contextLength: 8, nLayers: 1, nHeads: 2, dModel: 8, causal: false }), new LmHead(), obj, new ToySgd(0.1), new ToyDataset({ vocab: 10, seqLen: 6 }), tok],
    options: { seed, epochs: 1 },
    logger: silentLogger(),
  });
}

const CFG: MaskingConfig = { maskProb: 0.15, maskTokenFraction: 0.8, randomTokenFraction: 0.1, maskId: 1, vocabSize: 1000, specialIds: new Set([0, 1]) };

test('masking proportions on a large batch: 15% selected, of which 80% mask / 10% random / 10% unchanged; pads untouched', (t) => {
  const T = 128;
  const rows = 64;
  const ids = new Int32Array(rows * T);
  for (let i = 0; i < ids.length; i++) ids[i] = i % T >= 100 ? 0 : 2 + ((i * 7919) % 998); // last 28 of each row are pad
  const { inputs, selected, count } = maskTokens(ids, T, CFG, new Rng(123));
  let eligible = 0;
  let masked = 0;
  let random = 0;
  let same = 0;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === 0) {
      t.is(selected[i], 0);
      t.is(inputs[i], 0);
      continue;
    }
    eligible++;
    if (!selected[i]) {
      t.is(inputs[i], ids[i]);
      continue;
    }
    if (inputs[i] === 1) masked++;
    else if (inputs[i] === ids[i]) same++;
    else {
      random++;
      t.false(CFG.specialIds.has(inputs[i]!));
    }
  }
  const sel = masked + random + same;
  t.is(sel, count);
  t.true(Math.abs(sel / eligible - 0.15) < 0.01, `selected ${sel / eligible}`);
  t.true(Math.abs(masked / sel - 0.8) < 0.03, `mask ${masked / sel}`);
  t.true(Math.abs(random / sel - 0.1) < 0.02, `random ${random / sel}`);
  t.true(Math.abs(same / sel - 0.1) < 0.02, `same ${same / sel}`);
});

test('masking is deterministic in the Rng state, and respects lengths', (t) => {
  const ids = Int32Array.from({ length: 40 }, (_, i) => 2 + (i % 30));
  const a = maskTokens(ids, 10, { ...CFG, maskProb: 0.5 }, new Rng(9), [10, 3, 10, 0]);
  const b = maskTokens(ids, 10, { ...CFG, maskProb: 0.5 }, new Rng(9), [10, 3, 10, 0]);
  t.deepEqual(a, b);
  for (let i = 13; i < 20; i++) t.is(a.selected[i], 0);
  for (let i = 30; i < 40; i++) t.is(a.selected[i], 0);
  t.notDeepEqual(maskTokens(ids, 10, { ...CFG, maskProb: 0.5 }, new Rng(10)).selected, a.selected);
});

test('the loss counts the selected positions only', async (t) => {
  const obj = new MaskedLmObjective({ maskProb: 0.3 });
  const trainer = recipe(obj);
  await trainer.setup();
  const V = 11;
  const ids = [[2, 3, 4, 5, 6, 7], [8, 9, 2, 3, 0, 0]];
  const batch = obj.maskBatch({ inputs: tf.tensor2d(ids, [2, 6], 'int32') }, new Rng(3));
  const sel = batch.mask!.arraySync() as number[][];
  t.deepEqual(batch.targets!.arraySync(), ids);
  t.true(sel.flat().some((x) => x === 1) && sel.flat().some((x) => x === 0));
  const logitsA = Array.from({ length: 2 }, (_, b) => Array.from({ length: 6 }, (_, i) => Array.from({ length: V }, (_, v) => Math.sin(b * 31 + i * 7 + v))));
  // Change every logit at unselected positions: the loss must not move.
  const logitsB = logitsA.map((row, b) => row.map((l, i) => (sel[b]![i] ? l : l.map((x) => x * 3 + 1))));
  const loss = (l: number[][][]) => tf.tidy(() => obj.loss({ logits: tf.tensor3d(l) }, batch, trainer.forwardContext(true)).dataSync()[0]!);
  let want = 0;
  let n = 0;
  for (let b = 0; b < 2; b++)
    for (let i = 0; i < 6; i++)
      if (sel[b]![i]) {
        const row = logitsA[b]![i]!;
        const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
        want += lse - row[ids[b]![i]!]!;
        n++;
      }
  t.true(Math.abs(loss(logitsA) - want / n) < 1e-5, `${loss(logitsA)} vs ${want / n}`);
  t.is(loss(logitsB), loss(logitsA));
  for (const x of Object.values(batch)) x.dispose();
  trainer.dispose();
});

test.serial('training masks each batch (transformBatch) and the run is deterministic; no tensor leaks', async (t) => {
  const run = async () => {
    const obj = new MaskedLmObjective();
    const trainer = recipe(obj, undefined, 7);
    const masks: number[][] = [];
    const losses: number[] = [];
    const counts: number[] = [];
    trainer.tap('afterStep', 'test', async (ctx) => {
      const b: Batch = ctx.batch;
      t.not(b.inputs, undefined);
      masks.push(Array.from(b.mask!.dataSync()));
      losses.push((await ctx.loss!.data())[0]!);
      counts.push(tf.memory().numTensors);
    });
    await trainer.fit();
    trainer.dispose();
    return { masks, losses, counts };
  };
  const a = await run();
  const b = await run();
  t.is(a.masks.length, 4);
  t.deepEqual(a.masks, b.masks);
  t.deepEqual(a.losses, b.losses);
  t.notDeepEqual(a.masks[0], a.masks[1]);
  t.true(a.counts.every((c) => c === a.counts[0]), `${a.counts}`);
});

test('evaluation masks with a fixed stream (same loss each time) and getState/setState restore the training stream', async (t) => {
  const obj = new MaskedLmObjective();
  const trainer = recipe(obj);
  await trainer.setup();
  const e1 = await trainer.evaluate();
  const e2 = await trainer.evaluate();
  t.is(e1.validation_loss, e2.validation_loss);
  t.true(Number.isFinite(e1.validation_loss!) && e1.validation_loss! > 0);
  // The training stream: restoring its state replays the same masks.
  const state = obj.getState();
  const ids = tf.tensor2d([[2, 3, 4, 5, 6, 7]], [1, 6], 'int32');
  const first = Array.from(obj.maskBatch({ inputs: ids }, (obj as unknown as { rng: Rng }).rng).inputs!.dataSync());
  obj.setState(state);
  const again = Array.from(obj.maskBatch({ inputs: ids }, (obj as unknown as { rng: Rng }).rng).inputs!.dataSync());
  t.deepEqual(first, again);
  trainer.dispose();
});

test('a tokenizer without a mask token is an error naming the tokenizer; bad fractions name the option', async (t) => {
  const trainer = recipe(new MaskedLmObjective(), tokenizer(11, { pad: 0 }));
  await t.throwsAsync(trainer.setup(), { message: /objective:masked-lm.*tokenizer "tokenizer:inline".*mask/ });
  trainer.dispose();
  t.throws(() => new MaskedLmObjective({ maskTokenFraction: 0.8, randomTokenFraction: 0.3 }), { message: /option "randomTokenFraction"/ });
  t.throws(() => new MaskedLmObjective({ maskProb: 2 }), { message: /option "maskProb"/ });
});

test('tokenCrossEntropy is what the loss uses (sanity on a one-position batch)', (t) => {
  const v = tf.tidy(() => tokenCrossEntropy(tf.tensor3d([[[0, Math.log(3)]]]), tf.tensor2d([[1]], [1, 1], 'int32'), tf.ones([1, 1])).dataSync()[0]!);
  t.true(Math.abs(v - Math.log(4 / 3)) < 1e-6);
});
