/**
 * Metrics and the classification objective on wasm (the backend `selectBackend` picks on a CPU
 * machine): the same hand-worked numbers as on cpu.
 */
import test from 'ava';
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../core/backend/index.ts';
import { ConfusionAccumulator, confusionMatrix } from '../../../plugins/metrics/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});

test('the confusion accumulator on wasm equals the pure count', async (t) => {
  t.is(tf.getBackend(), 'wasm');
  const labels = [0, 0, 0, 1, 1, 2, 2, 3];
  const preds = [0, 1, 0, 1, 2, 2, 2, 0];
  const acc = new ConfusionAccumulator();
  for (const [from, to] of [[0, 5], [5, 8]]) {
    const scores = preds.slice(from, to).map((p) => [0, 1, 2, 3].map((c) => (c === p ? 2 : c * 0.1)));
    tf.tidy(() => acc.add(tf.tensor2d(scores), tf.tensor1d(labels.slice(from, to), 'int32')));
  }
  t.deepEqual((await acc.read()).counts, confusionMatrix(labels, preds, 4));
});

test('weighted, smoothed cross-entropy on wasm matches the hand value', (t) => {
  const { log } = Math;
  const o = new ClassificationObjective({ classWeights: [2, 1, 0.5], labelSmoothing: 0.1 });
  const v = tf.tidy(() => o.loss({ logits: tf.tensor2d([[0, log(2), 0], [log(3), 0, 0]]) }, { labels: tf.tensor1d([1, 0], 'int32') }).dataSync()[0]!);
  const expected = 0.9 * ((log(2) + 2 * log(5 / 3)) / 3) + (0.1 / 3) * ((6 * log(2) + 2 * log(5 / 3) + 1.5 * log(5)) / 3);
  t.true(Math.abs(v - expected) < 1e-5, `${v} vs ${expected}`);
});
