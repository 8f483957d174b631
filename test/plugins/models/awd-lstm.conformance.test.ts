import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// every regulariser on: the dropout streams and the DropConnect Rng must all resume exactly
pluginConformance(test, {
  make: () => new AwdLstmModel({ vocabSize: 11, embSize: 8, hiddenSize: 12, nLayers: 2, embedDropout: 0.1, weightDropout: 0.3 }),
  recipe: () => [new LmHead(), new NextTokenObjective(), new ToySgd(0.5), new ToyDataset({ vocab: 11, batches: 8 })],
  // the model holds the parameters: a checkpoint of another model cannot be resumed with it
  without: false,
});
