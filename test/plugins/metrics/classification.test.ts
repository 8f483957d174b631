import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  Rng,
  createTrainer,
  silentLogger,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type GraftPlugin,
  type ModelPlugin,
  type Outputs,
  type Split,
} from '../../../core/index.ts';
import {
  AccuracyMetric,
  ConfusionAccumulator,
  ConfusionMatrixMetric,
  F1Metric,
  accuracy,
  confusionMatrix,
  formatConfusionMatrix,
  macroScores,
  perClassScores,
  toRows,
} from '../../../plugins/metrics/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// The hand-worked example. Class 3 occurs once and is never predicted.
const LABELS = [0, 0, 0, 1, 1, 2, 2, 3];
const PREDS = [0, 1, 0, 1, 2, 2, 2, 0];
const ROWS = [
  [2, 1, 0, 0],
  [0, 1, 1, 0],
  [0, 0, 2, 0],
  [1, 0, 0, 0],
];
const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

test('confusion matrix, accuracy and per-class scores by hand', (t) => {
  const cm = confusionMatrix(LABELS, PREDS, 4);
  t.deepEqual(toRows(cm, 4), ROWS);
  t.is(accuracy(cm, 4), 5 / 8);
  const s = perClassScores(cm, 4);
  // class 2: tp 2 of 3 predicted, 2 of 2 true → F1 = 2·(2/3)·1 / (5/3) = 4/5
  t.deepEqual(s.precision, [2 / 3, 1 / 2, 2 / 3, 0]); // class 3 never predicted: precision 0 (zero_division=0)
  t.deepEqual(s.recall, [2 / 3, 1 / 2, 1, 0]);
  t.true(near(s.f1[2]!, 4 / 5));
  t.is(s.f1[3], 0);
  t.deepEqual(s.support, [3, 2, 2, 1]);
  t.deepEqual(s.predicted, [3, 2, 3, 0]);
  const m = macroScores(cm, 4);
  t.true(near(m.precision, 11 / 24));
  t.true(near(m.recall, 13 / 24));
  t.true(near(m.f1, 59 / 120)); // mean of per-class F1, as scikit-learn's f1_score(average='macro')
});

test('a class absent from both labels and predictions does not enter the macro average', (t) => {
  const five = confusionMatrix(LABELS, PREDS, 5);
  const m = macroScores(five, 5);
  t.true(near(m.f1, 59 / 120));
  t.true(near(m.precision, 11 / 24));
  t.is(accuracy(five, 5), 5 / 8);
});

test('confusionMatrix rejects ids out of range', (t) => {
  t.throws(() => confusionMatrix([0, 3], [0, 1], 3), { message: /example 1 has label 3/ });
  t.throws(() => confusionMatrix([0], [0, 1], 3), { instanceOf: RangeError });
});

test('the on-device accumulator equals the pure confusion matrix', async (t) => {
  const rng = new Rng(8);
  const acc = new ConfusionAccumulator();
  const labels: number[] = [];
  const preds: number[] = [];
  for (let b = 0; b < 3; b++) {
    const B = 7;
    const logits = Array.from({ length: B }, () => Array.from({ length: 5 }, () => rng.next()));
    const y = Array.from({ length: B }, () => rng.int(5));
    labels.push(...y);
    preds.push(...logits.map((r) => r.indexOf(Math.max(...r))));
    tf.tidy(() => t.is(acc.add(tf.tensor2d(logits), tf.tensor1d(y, 'int32')), undefined));
  }
  const got = await acc.read();
  t.deepEqual(got.counts, confusionMatrix(labels, preds, 5));
  t.is(got.examples, 21);
  t.is(got.numClasses, 5);
  t.is(tf.tidy(() => acc.add(tf.zeros([2, 3, 4]), tf.zeros([2], 'int32'))), 'logits must be [B, C], got shape [2,3,4]');
  acc.dispose();
});

/** Returns `batch.scores` as the logits: the predictions are whatever the dataset says. */
class ScoresModel implements ModelPlugin {
  readonly meta = { name: 'model:scores', kind: 'model' } as const;
  apply(): void {}
  forward(batch: Batch): Outputs {
    return { features: batch.scores!, logits: batch.scores! };
  }
  layerGroups() {
    return [];
  }
}

/** The hand-worked example as two evaluation batches (5 + 3 examples); labels can be shifted out of range. */
class ExampleDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:example', kind: 'dataset' } as const;
  readonly numClasses = 4;
  constructor(private readonly labelShift = 0) {}
  apply(): void {}
  numBatches(): number {
    return 2;
  }
  *batches(_s: Split, _o: BatchOptions): IterableIterator<Batch> {
    for (const [from, to] of [[0, 5], [5, 8]] as const) {
      const scores = PREDS.slice(from, to).map((p) => [0, 1, 2, 3].map((c) => (c === p ? 2 : c * 0.1)));
      yield { scores: tf.tensor2d(scores), labels: tf.tensor1d(LABELS.slice(from, to).map((y) => y + this.labelShift), 'int32') };
    }
  }
}

function metricTrainer(metrics: GraftPlugin[], labelShift = 0) {
  return createTrainer({
    plugins: [new ScoresModel(), new ClassificationObjective(), new ToySgd(0), new ExampleDataset(labelShift), ...metrics],
    logger: silentLogger(),
  });
}

test.serial('metric plugins write {split}_accuracy, _f1, _precision, _recall and expose the confusion matrix; no leaks', async (t) => {
  const cmMetric = new ConfusionMatrixMetric();
  const trainer = metricTrainer([new AccuracyMetric(), new F1Metric(), cmMetric]);
  const logged: string[] = [];
  trainer.logger.info = ((msg: string) => { logged.push(msg); return trainer.logger; }) as never;
  await trainer.setup();
  const m = await trainer.evaluate('validation');
  t.is(m.validation_accuracy, 5 / 8);
  t.true(near(m.validation_f1!, 59 / 120));
  t.true(near(m.validation_precision!, 11 / 24));
  t.true(near(m.validation_recall!, 13 / 24));
  t.is(typeof m.validation_loss, 'number');
  t.deepEqual(cmMetric.matrix, ROWS);
  t.deepEqual(cmMetric.matrices.validation, ROWS);
  t.true(logged.some((l) => l.includes('validation confusion matrix') && l.includes(formatConfusionMatrix(ROWS))));
  // a second evaluation starts from zero counts, and leaves no tensor behind
  const before = tf.memory().numTensors;
  const again = await trainer.evaluate('test');
  t.is(again.test_accuracy, 5 / 8);
  t.deepEqual(cmMetric.matrices.test, ROWS);
  t.is(tf.memory().numTensors, before);
  trainer.dispose();
});

test.serial('an evaluation that fails after some batches frees the counts (onError, phase evaluate)', async (t) => {
  let batches = 0;
  const failSecond: GraftPlugin = {
    meta: { name: 'callback:fail-second', kind: 'callback' },
    apply(tr) {
      tr.tap('evalBatch', this, () => {
        if (++batches === 2) throw new Error('second batch fails');
      }, { stage: 'observe' });
    },
  };
  const trainer = metricTrainer([new AccuracyMetric(), new ConfusionMatrixMetric(), failSecond]);
  await trainer.setup();
  const before = tf.memory().numTensors;
  await t.throwsAsync(() => trainer.evaluate(), { message: 'second batch fails' });
  t.is(tf.memory().numTensors, before);
  trainer.dispose();
});

test('labels outside the logits fail the evaluation with a clear error', async (t) => {
  const trainer = metricTrainer([new AccuracyMetric()], 1); // class 3 becomes 4, with 4 logits
  await trainer.setup();
  await t.throwsAsync(() => trainer.evaluate(), { message: /metric:accuracy.*1 of 8 labels are outside \[0, 4\)/ });
  trainer.dispose();
});

test('a batch without labels fails naming the plugin and the field', async (t) => {
  const noLabels: DatasetPlugin = {
    meta: { name: 'dataset:nolabels', kind: 'dataset' },
    apply() {},
    numBatches: () => 1,
    *batches() {
      yield { scores: tf.zeros([2, 3]), targets: tf.zeros([2], 'int32') };
    },
  };
  const trainer = createTrainer({
    plugins: [new ScoresModel(), { meta: { name: 'objective:none', kind: 'objective' }, apply() {}, loss: () => tf.scalar(0) } as GraftPlugin, new ToySgd(0), noLabels, new F1Metric()],
    logger: silentLogger(),
  });
  await trainer.setup();
  await t.throwsAsync(() => trainer.evaluate(), { message: /metric:f1.*batch\.labels/ });
  trainer.dispose();
});

test('options: logitsKey / labelsKey are validated and used', async (t) => {
  t.throws(() => new AccuracyMetric({ logits: 'x' } as never), { message: /metric:accuracy.*option "logits"/ });
  t.throws(() => new F1Metric({ labelsKey: 3 } as never), { message: /option "labelsKey"/ });
  const metric = new AccuracyMetric({ logitsKey: 'features' });
  const trainer = metricTrainer([metric]);
  await trainer.setup();
  t.is((await trainer.evaluate()).validation_accuracy, 5 / 8);
  trainer.dispose();
});

test('formatConfusionMatrix lays out a right-aligned table', (t) => {
  t.is(formatConfusionMatrix([[12, 0], [3, 7]]), ['    |  0  1', '-----------', '  0 | 12  0', '  1 |  3  7'].join('\n'));
  t.is(formatConfusionMatrix([[1, 0], [0, 1]], ['ham', 'spam']).split('\n').pop(), 'classes: 0 = ham, 1 = spam');
});
