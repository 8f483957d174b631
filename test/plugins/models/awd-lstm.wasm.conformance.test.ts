/**
 * model:awd-lstm's conformance on wasm, where its recurrence runs on graft's fused LSTM kernels
 * (core/backend/fusedLstm.ts): no leaked tensors, state saved and loaded, exact resume, evaluation
 * leaves training as it was. (awd-lstm.conformance.test.ts runs the same on cpu, composed ops.)
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { fusedLstm, selectBackend } from '../../../core/backend/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await selectBackend({ prefer: 'wasm' });
});

test.serial('the fused LSTM path is active on this backend', (t) => {
  let fused = false;
  tf.tidy(() => {
    fused = fusedLstm(tf.zeros([2, 1, 8]), tf.zeros([2, 8])) !== null;
  });
  t.true(fused);
});

pluginConformance(test, {
  make: () => new AwdLstmModel({ vocabSize: 11, embSize: 8, hiddenSize: 12, nLayers: 2, embedDropout: 0.1, weightDropout: 0.3 }),
  recipe: () => [new LmHead(), new NextTokenObjective(), new ToySgd(0.5), new ToyDataset({ vocab: 11, batches: 8 })],
  without: false,
});
