import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ClassificationObjective, softmaxCrossEntropy } from '../../../plugins/objectives/index.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const { log } = Math;
// probabilities (1/4, 1/2, 1/4) and (3/5, 1/5, 1/5): log-softmax is exact by hand
const LOGITS = [[0, log(2), 0], [log(3), 0, 0]];
const LABELS = [1, 0];

function lossOf(opts: ConstructorParameters<typeof ClassificationObjective>[0], logits = LOGITS, labels = LABELS): number {
  const objective = new ClassificationObjective(opts);
  return tf.tidy(() => objective.loss({ logits: tf.tensor2d(logits) }, { labels: tf.tensor1d(labels, 'int32') }).dataSync()[0]!);
}

const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;

test('plain cross-entropy is the mean negative log-likelihood', (t) => {
  // nll = ln 2 and ln(5/3)
  t.true(near(lossOf({}), (log(2) + log(5 / 3)) / 2));
  // binary as two classes: p(1) = 3/4
  t.true(near(lossOf({}, [[0, log(3)]], [1]), log(4 / 3)));
});

test('class weights give the weighted mean sum(w_y * nll) / sum(w_y)', (t) => {
  // labels 1 and 0 have weights 1 and 2
  t.true(near(lossOf({ classWeights: [2, 1, 0.5] }), (1 * log(2) + 2 * log(5 / 3)) / 3));
});

test('label smoothing, with and without weights, as PyTorch', (t) => {
  // smooth_i = -Σ_c log p_ic: 5 ln 2 and ln(5/3) + 2 ln 5
  const plain = 0.9 * ((log(2) + log(5 / 3)) / 2) + (0.1 / 3) * ((5 * log(2) + log(5 / 3) + 2 * log(5)) / 2);
  t.true(near(lossOf({ labelSmoothing: 0.1 }), plain));
  // weighted: smooth_i = -Σ_c w_c log p_ic = 6 ln 2 and 2 ln(5/3) + 1.5 ln 5, divided by Σ w_y = 3
  const weighted = 0.9 * ((log(2) + 2 * log(5 / 3)) / 3) + (0.1 / 3) * ((6 * log(2) + 2 * log(5 / 3) + 1.5 * log(5)) / 3);
  t.true(near(lossOf({ labelSmoothing: 0.1, classWeights: [2, 1, 0.5] }), weighted));
});

test('the gradient is (softmax - onehot) / N', (t) => {
  const g = tf.tidy(() =>
    tf.grad((l: tf.Tensor) => softmaxCrossEntropy(l, tf.tensor1d(LABELS, 'int32')))(tf.tensor2d(LOGITS)).arraySync(),
  ) as number[][];
  const expected = [[1 / 8, -1 / 4, 1 / 8], [-1 / 5, 1 / 10, 1 / 10]];
  g.forEach((row, i) => row.forEach((v, j) => t.true(near(v, expected[i]![j]!), `${i},${j}: ${v}`)));
});

test('bad options and inputs fail with a message naming what is wrong', (t) => {
  t.throws(() => new ClassificationObjective({ labelSmoothing: 1.5 }), { message: /option "labelSmoothing"/ });
  t.throws(() => new ClassificationObjective({ classWeights: [1, -1] }), { message: /option "classWeights"/ });
  t.throws(() => new ClassificationObjective({ classWeights: [0, 0] }), { message: /option "classWeights"/ });
  t.throws(() => lossOf({ classWeights: [1, 2] }), { message: /option "classWeights".*3 weights/ });
  const o = new ClassificationObjective();
  t.throws(() => tf.tidy(() => o.loss({ logits: tf.zeros([2, 3]) }, { targets: tf.zeros([2], 'int32') })), { message: /objective:classification.*batch\.labels/ });
  t.throws(() => tf.tidy(() => o.loss({ features: tf.zeros([2, 3]) }, { labels: tf.zeros([2], 'int32') })), { message: /outputs\.logits/ });
});

test('no tensor is left behind', (t) => {
  const o = new ClassificationObjective({ classWeights: [1, 2, 3], labelSmoothing: 0.2 });
  const logits = tf.tensor2d(LOGITS);
  const labels = tf.tensor1d(LABELS, 'int32');
  const before = tf.memory().numTensors;
  o.loss({ logits }, { labels }).dispose();
  t.is(tf.memory().numTensors, before);
  tf.dispose([logits, labels]);
});
