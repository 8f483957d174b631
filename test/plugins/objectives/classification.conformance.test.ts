import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { ClassifierHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { ToyClassificationDataset } from '../heads/classificationToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

pluginConformance(test, {
  make: () => new ClassificationObjective({ classWeights: [1, 2, 0.5], labelSmoothing: 0.1 }),
  recipe: () => [
    new AwdLstmModel({ vocabSize: 9, embSize: 8, hiddenSize: 12, nLayers: 1 }),
    new ClassifierHead({ hidden: [6] }),
    new ToySgd(0.1),
    new ToyClassificationDataset({ batchSize: 4 }),
  ],
  // no other objective reads class labels: no run of this recipe trains without it
  without: false,
});
