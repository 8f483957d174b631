import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { ClassifierHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { ToyClassificationDataset } from './classificationToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// BatchNorm running statistics are buffers: they must be saved and resumed with the parameters
pluginConformance(test, {
  make: () => new ClassifierHead({ hidden: [6] }),
  recipe: () => [
    new AwdLstmModel({ vocabSize: 9, embSize: 8, hiddenSize: 12, nLayers: 1 }),
    new ClassificationObjective(),
    new ToySgd(0.1),
    new ToyClassificationDataset({ batchSize: 4 }),
  ],
  // the classification objective reads the head's logits: no run of this recipe trains without the head
  without: false,
});
