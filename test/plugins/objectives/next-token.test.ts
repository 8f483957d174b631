import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type GraftPlugin, type Tokenizer } from '../../../core/index.ts';
import { NextTokenObjective, tokenCrossEntropy } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToyModel, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// logits [B=2, T=3, V=4]
const LOGITS = [
  [[1, 2, 0.5, -1], [0, 0, 0, 0], [3, -2, 1, 0.25]],
  [[-0.5, 4, 1, 2], [10, 9, -3, 0], [0.1, 0.2, 0.3, 0.4]],
];
const TARGETS = [[1, 3, 0], [2, 0, 3]];

function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}

/** Mean of -log p(target) over counted positions, in plain JS. */
function expected(counted: (b: number, t: number) => boolean): number {
  let s = 0;
  let n = 0;
  for (let b = 0; b < 2; b++)
    for (let t = 0; t < 3; t++)
      if (counted(b, t)) {
        s -= logSoftmaxRow(LOGITS[b]![t]!)[TARGETS[b]![t]!]!;
        n++;
      }
  return s / n;
}

function lossOf(obj: NextTokenObjective, batch: { targets: number[][]; mask?: number[][] }): number {
  return tf.tidy(() => {
    const b: Record<string, tf.Tensor> = { targets: tf.tensor2d(batch.targets, [2, 3], 'int32') };
    if (batch.mask) b.mask = tf.tensor2d(batch.mask, [2, 3], 'float32');
    return obj.loss({ logits: tf.tensor3d(LOGITS) }, b).dataSync()[0]!;
  });
}

test('mean cross-entropy equals the hand-computed value', (t) => {
  const got = lossOf(new NextTokenObjective(), { targets: TARGETS });
  t.true(Math.abs(got - expected(() => true)) < 1e-5, `${got} vs ${expected(() => true)}`);
});

test('positions where mask is 0 do not count', (t) => {
  const mask = [[1, 0, 1], [0, 1, 1]];
  const got = lossOf(new NextTokenObjective(), { targets: TARGETS, mask });
  const want = expected((b, i) => mask[b]![i] === 1);
  t.true(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
});

test('targets equal to ignoreIndex do not count (with a mask too); -1 never breaks the gather', (t) => {
  const targets = [[1, -1, 0], [2, 0, -1]];
  const got = lossOf(new NextTokenObjective(), { targets });
  t.true(Math.abs(got - expected((b, i) => targets[b]![i] !== -1)) < 1e-5);
  const obj = new NextTokenObjective({ ignoreIndex: 0 });
  const mask = [[1, 1, 1], [1, 1, 0]];
  const want = expected((b, i) => TARGETS[b]![i] !== 0 && mask[b]![i] === 1);
  t.true(Math.abs(lossOf(obj, { targets: TARGETS, mask }) - want) < 1e-5);
});

test('nothing counted gives 0, not NaN', (t) => {
  t.is(lossOf(new NextTokenObjective(), { targets: TARGETS, mask: [[0, 0, 0], [0, 0, 0]] }), 0);
});

test('numerically stable for huge logits', (t) => {
  const v = tf.tidy(() => tokenCrossEntropy(tf.tensor2d([[1000, 0, -1000]]), tf.tensor1d([1], 'int32')).dataSync()[0]!);
  t.true(Math.abs(v - 1000) < 1e-3, `${v}`);
});

test('gradient wrt logits is (softmax - onehot) * weight / sum(weights)', (t) => {
  const mask = [[1, 0, 1], [0, 1, 1]];
  const g = tf.tidy(() => {
    const targets = tf.tensor2d(TARGETS, [2, 3], 'int32');
    const m = tf.tensor2d(mask, [2, 3]);
    return tf.grad((x: tf.Tensor) => tokenCrossEntropy(x, targets, m))(tf.tensor3d(LOGITS)).arraySync() as number[][][];
  });
  for (let b = 0; b < 2; b++)
    for (let i = 0; i < 3; i++)
      for (let v = 0; v < 4; v++) {
        const p = Math.exp(logSoftmaxRow(LOGITS[b]![i]!)[v]!);
        const want = (mask[b]![i]! * (p - (TARGETS[b]![i] === v ? 1 : 0))) / 4;
        t.true(Math.abs(g[b]![i]![v]! - want) < 1e-6, `[${b},${i},${v}] ${g[b]![i]![v]} vs ${want}`);
      }
});

test("ignoreIndex defaults to the tokenizer's pad id; evaluation adds <split>_perplexity = exp(loss)", async (t) => {
  const tokenizer: GraftPlugin & { tokenizer: Tokenizer } = {
    meta: { name: 'tokenizer:inline', kind: 'tokenizer' },
    tokenizer: { vocabSize: 11, specials: { pad: 4 } } as unknown as Tokenizer,
    apply() {},
  };
  const obj = new NextTokenObjective();
  t.is(obj.ignoreIndex, -1);
  const trainer = createTrainer({ plugins: [new ToyModel(), obj, new ToySgd(), new ToyDataset(), tokenizer], logger: silentLogger() });
  const m = await trainer.evaluate('validation');
  t.is(obj.ignoreIndex, 4);
  t.true(Math.abs(m.validation_perplexity! - Math.exp(m.validation_loss!)) < 1e-9 * m.validation_perplexity!);
  trainer.dispose();
});

test('errors name the plugin: missing logits or targets, mismatched shapes, bad option', (t) => {
  const obj = new NextTokenObjective();
  tf.tidy(() => {
    t.throws(() => obj.loss({}, { targets: tf.zeros([1, 2], 'int32') }), { message: /objective:next-token.*logits/ });
    t.throws(() => obj.loss({ logits: tf.zeros([1, 2, 3]) }, {}), { message: /objective:next-token.*targets/ });
    t.throws(() => obj.loss({ logits: tf.zeros([1, 2, 3]) }, { targets: tf.zeros([1, 3], 'int32') }), { message: /objective:next-token.*do not match/ });
  });
  t.throws(() => new NextTokenObjective({ ignoreIndex: 1.5 }), { message: /option "ignoreIndex"/ });
});
