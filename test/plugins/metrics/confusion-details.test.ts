import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  CoreResources,
  Resources,
  createTrainer,
  offerEvalDetails,
  silentLogger,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type ModelPlugin,
  type Outputs,
  type Split,
} from '../../../core/index.ts';
import { ConfusionMatrixMetric } from '../../../plugins/metrics/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// Hand-worked labels and predictions of each split (3 classes).
const DATA: Record<Split, { labels: number[]; preds: number[] }> = {
  train: { labels: [0, 1], preds: [0, 1] },
  validation: { labels: [0, 0, 1, 2, 2], preds: [0, 1, 1, 2, 0] },
  test: { labels: [0, 1, 1, 1, 2, 2], preds: [2, 1, 1, 0, 2, 2] },
};
const ROWS: Record<'validation' | 'test', number[][]> = {
  validation: [
    [1, 1, 0],
    [0, 1, 0],
    [1, 0, 1],
  ],
  test: [
    [0, 0, 1],
    [1, 2, 0],
    [0, 0, 2],
  ],
};

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

/** Each split's examples in one batch, scored so that the argmax is the prediction. */
class SplitDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:splits', kind: 'dataset' } as const;
  readonly numClasses = 3;
  apply(): void {}
  numBatches(): number {
    return 1;
  }
  *batches(split: Split, _o: BatchOptions): IterableIterator<Batch> {
    const { labels, preds } = DATA[split];
    yield { scores: tf.tensor2d(preds.map((p) => [0, 1, 2].map((c) => (c === p ? 2 : 0)))), labels: tf.tensor1d(labels, 'int32') };
  }
}

test.serial('metric:confusion-matrix offers { confusion } as the evaluation details of each split it evaluates', async (t) => {
  const metric = new ConfusionMatrixMetric();
  const trainer = createTrainer({ plugins: [new ScoresModel(), new ClassificationObjective(), new ToySgd(0), new SplitDataset(), metric], logger: silentLogger() });
  await trainer.setup();
  t.is(trainer.resources.get(CoreResources.evalDetails), undefined, 'nothing before an evaluation');
  const metrics = await trainer.evaluate('validation');
  t.deepEqual(Object.keys(metrics), ['validation_loss'], 'no number added to the metrics');
  t.deepEqual(trainer.resources.get(CoreResources.evalDetails), { validation: { confusion: ROWS.validation } });
  await trainer.evaluate('test');
  t.deepEqual(trainer.resources.get(CoreResources.evalDetails), { validation: { confusion: ROWS.validation }, test: { confusion: ROWS.test } });
  // matrix / matrices are kept as before
  t.deepEqual(metric.matrix, ROWS.test);
  t.deepEqual(metric.matrices, { validation: ROWS.validation, test: ROWS.test });
  // a later evaluation of a split replaces its details
  await trainer.evaluate('validation');
  t.deepEqual(trainer.resources.get(CoreResources.evalDetails)?.validation, { confusion: ROWS.validation });
  t.deepEqual(trainer.resources.get(CoreResources.evalDetails)?.test, { confusion: ROWS.test });
  trainer.dispose();
});

test('offerEvalDetails merges into the split, keeping other metrics\' keys and other splits', (t) => {
  const r = new Resources();
  offerEvalDetails(r, 'test', { confusion: [[1, 0], [0, 1]] });
  offerEvalDetails(r, 'test', { calibration: [0.5, 0.5] });
  offerEvalDetails(r, 'validation', { confusion: [[2]] });
  offerEvalDetails(r, 'test', { confusion: [[0, 1], [1, 0]] });
  t.deepEqual(r.get(CoreResources.evalDetails), {
    test: { confusion: [[0, 1], [1, 0]], calibration: [0.5, 0.5] },
    validation: { confusion: [[2]] },
  });
});
