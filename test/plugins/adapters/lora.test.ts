import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { disposeBatch, GraftError } from '../../../core/index.ts';
import { LoraAdapter, loraParameterCount, trainableCount } from '../../../plugins/adapters/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { logits, matmul, maxDiff, snapshot, toyBatch, toyTrainer } from './helpers.ts';

const TARGET = 'backbone.proj.kernel';
const A = `adapter.lora.${TARGET}.A`;
const B = `adapter.lora.${TARGET}.B`;
const D = 8;

test.before(async () => {
  await tf.setBackend('cpu');
});

test.serial('at init the outputs are those of the model without LoRA (B = 0)', async (t) => {
  const lora = toyTrainer([new LoraAdapter({ target: TARGET, rank: 2, alpha: 4 })]);
  const plain = toyTrainer();
  await lora.setup();
  await plain.setup();
  const batch = toyBatch();
  t.deepEqual(logits(lora, batch), logits(plain, batch));
  t.deepEqual(lora.params.get(A).shape, [D, 2]);
  t.deepEqual(lora.params.get(B).shape, [2, D]);
  t.true(Array.from(lora.params.get(B).dataSync()).every((x) => x === 0));
  t.true(Array.from(lora.params.get(A).dataSync()).some((x) => x !== 0));
  disposeBatch(batch);
  lora.dispose();
  plain.dispose();
});

test.serial('the forward pass reads w + (alpha / r) A @ B', async (t) => {
  const tr = toyTrainer([new LoraAdapter({ target: TARGET, rank: 2, alpha: 3 })]);
  await tr.setup();
  const a = tr.params.get(A).dataSync();
  tr.params.get(B).assign(tf.tensor2d([0.5, -1, 2, 0, 1, 1, 0.25, -0.5, 3, 1, -2, 0, 0, 1, 1, 2], [2, D]));
  const b = tr.params.get(B).dataSync();
  const w = tr.params.get(TARGET).dataSync();
  const ab = matmul(a, b, D, 2, D);
  const want = Array.from(w, (x, i) => x + (3 / 2) * ab[i]!);
  const read = tf.tidy(() => tr.params.read(TARGET, false));
  t.true(maxDiff(read.dataSync(), want) < 1e-5);
  read.dispose();
  tr.dispose();
});

test.serial('training changes only A and B; the base weights stay bit-identical', async (t) => {
  const tr = toyTrainer([new LoraAdapter({ target: TARGET, rank: 2, alpha: 4 })], 4);
  await tr.setup();
  const before = snapshot(tr);
  await tr.fit();
  const after = snapshot(tr);
  for (const n of Object.keys(before)) {
    if (n === A || n === B) t.notDeepEqual(after[n], before[n], `${n} learned`);
    else t.deepEqual(after[n], before[n], `${n} unchanged`);
  }
  tr.dispose();
});

test.serial('trainable parameters: r (in + out) per target, plus alsoTrain', async (t) => {
  const a = toyTrainer([new LoraAdapter({ target: TARGET, rank: 3 })]);
  await a.setup();
  t.is(a.params.count({ trainableOnly: true }), loraParameterCount([[D, D]], 3));
  t.is(loraParameterCount([[D, D]], 3), 3 * (8 + 8));
  const b = toyTrainer([new LoraAdapter({ target: [TARGET, 'head.out.kernel'], rank: 2, alsoTrain: ['head.out.bias'] })]);
  await b.setup();
  t.is(b.params.count({ trainableOnly: true }), 2 * (8 + 8) + 2 * (8 + 11) + 11);
  t.is(trainableCount(b.params, 'adapter.lora.**'), loraParameterCount([[8, 8], [8, 11]], 2));
  const c = toyTrainer([new LoraAdapter({ target: TARGET, rank: 2, trainOnly: false })]);
  await c.setup();
  t.is(c.params.count({ trainableOnly: true }), c.params.count());
  a.dispose();
  b.dispose();
  c.dispose();
});

test.serial('merge() folds the update into the weights: same outputs, no adapter left', async (t) => {
  const lora = new LoraAdapter({ target: TARGET, rank: 2, alpha: 4 });
  const tr = toyTrainer([lora], 5);
  await tr.fit();
  const batch = toyBatch();
  const adapted = logits(tr, batch);
  const w = tr.params.get(TARGET).dataSync().slice();
  const ab = matmul(tr.params.get(A).dataSync(), tr.params.get(B).dataSync(), D, 2, D);
  t.deepEqual(lora.merge(), [TARGET]);
  t.true(maxDiff(logits(tr, batch), adapted) < 1e-6);
  t.true(maxDiff(tr.params.get(TARGET).dataSync(), Array.from(w, (x, i) => x + 2 * ab[i]!)) < 1e-5);
  t.false(tr.params.has(A));
  t.false(tr.params.has(B));
  t.throws(() => lora.merge(), { message: /nothing to merge/ });
  disposeBatch(batch);
  tr.dispose();
});

test.serial('dropout drops whole rows of A in training only, scaling the rest by 1/(1-p)', async (t) => {
  const tr = toyTrainer([new LoraAdapter({ target: TARGET, rank: 2, alpha: 2, dropout: 0.5 })]);
  await tr.setup();
  tr.params.get(B).assign(tf.ones([2, D]));
  const a = tr.params.get(A).dataSync();
  const w = tr.params.get(TARGET).dataSync();
  // With B all ones, row i of A @ B is (A[i,0] + A[i,1]) in every column; scale is 1.
  const delta = (x: ArrayLike<number>) => Array.from({ length: D }, (_, i) => x[i * D]! - w[i * D]!);
  const full = Array.from({ length: D }, (_, i) => a[2 * i]! + a[2 * i + 1]!);
  const evalRead = tf.tidy(() => tr.params.read(TARGET, false));
  t.true(maxDiff(delta(evalRead.dataSync()), full) < 1e-5, 'no dropout at evaluation');
  const trainRead = tf.tidy(() => tr.params.read(TARGET, true));
  const d = delta(trainRead.dataSync());
  let dropped = 0;
  d.forEach((v, i) => {
    if (Math.abs(v) < 1e-7) dropped++;
    else t.true(Math.abs(v - 2 * full[i]!) < 1e-5, `row ${i} kept and scaled`);
  });
  t.true(dropped > 0 && dropped < D, `${dropped} of ${D} rows dropped`);
  evalRead.dispose();
  trainRead.dispose();
  tr.dispose();
});

test.serial('a target that matches nothing, is not a matrix, or is too small for the rank is an error naming the option', async (t) => {
  const cases: [ConstructorParameters<typeof LoraAdapter>[0], RegExp][] = [
    [{}, /option "target": pattern "backbone\.blocks\.\*\.attn\.qkv\.kernel" matches no parameter/],
    [{ target: 'backbone.proj.bias' }, /option "target": parameter "backbone\.proj\.bias" has shape \[8\]/],
    [{ target: TARGET, rank: 9 }, /option "rank": rank 9 exceeds min\(in, out\) = 8/],
    [{ target: TARGET, alsoTrain: ['head.typo'] }, /option "alsoTrain": pattern "head\.typo" matches no parameter/],
  ];
  for (const [opts, re] of cases) {
    const tr = toyTrainer([new LoraAdapter(opts)]);
    await t.throwsAsync(tr.setup(), { instanceOf: GraftError, message: re });
    tr.dispose();
  }
});

test('bad option values are errors naming the option', (t) => {
  t.throws(() => new LoraAdapter({ rank: 0 }), { message: /option "rank"/ });
  t.throws(() => new LoraAdapter({ alpha: 0 }), { message: /option "alpha"/ });
  t.throws(() => new LoraAdapter({ dropout: 1 }), { message: /option "dropout"/ });
  t.throws(() => new LoraAdapter({ target: [] as never }), { message: /option "target"/ });
});

pluginConformance(test, {
  make: () => new LoraAdapter({ target: TARGET, rank: 2, dropout: 0.2, alsoTrain: ['head.**'] }),
});
