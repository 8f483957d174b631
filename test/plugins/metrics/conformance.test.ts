import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { GraftPlugin } from '../../../core/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import { ClassifierHead } from '../../../plugins/heads/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from '../../../plugins/metrics/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { ToyClassificationDataset } from '../heads/classificationToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// evaluation after every step, so the metrics accumulate and read out during training
const recipe = (): GraftPlugin[] => [
  new AwdLstmModel({ vocabSize: 9, embSize: 8, hiddenSize: 12, nLayers: 1 }),
  new ClassifierHead({ hidden: [6] }),
  new ClassificationObjective(),
  new ToySgd(0.1),
  new ToyClassificationDataset({ batchSize: 4, evalBatches: 2 }),
  new EvaluateCallback({ every: 1 }),
];

pluginConformance(test, { make: () => new AccuracyMetric(), recipe });
pluginConformance(test, { make: () => new F1Metric(), recipe });
pluginConformance(test, { make: () => new ConfusionMatrixMetric(), recipe });
