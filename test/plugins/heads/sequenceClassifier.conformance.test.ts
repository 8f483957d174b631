import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { SequenceClassifierHead } from '../../../plugins/heads/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { SEQ_TOY, SeqToyDataset } from './sequenceToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// a tiny bidirectional GPT, right-padded rows with lengths; the head with its pooler, a hidden
// layer and dropout on, so its random stream has to resume exactly
pluginConformance(test, {
  make: () => new SequenceClassifierHead({ pooling: 'mean', pooler: true, hidden: [6], dropout: 0.2 }),
  recipe: () => [
    new GptModel({ vocabSize: SEQ_TOY.vocab, contextLength: 8, nLayers: 1, nHeads: 2, dModel: 8, dropout: 0.1, causal: false }),
    new ClassificationObjective(),
    new ToySgd(0.1),
    new SeqToyDataset({ batches: 8, batchSize: 4 }),
  ],
  // the classification objective reads the head's logits: no run of this recipe trains without the head
  without: false,
});
