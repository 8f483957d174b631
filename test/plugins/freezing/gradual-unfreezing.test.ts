import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger } from '../../../core/index.ts';
import { GradualUnfreezing, groupsToTrain } from '../../../plugins/freezing/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset, ToyObjective } from '../../helpers/toy.ts';
import { BufferToyModel, changed, EpochSnapshots } from './helpers.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const HEAD = ['head.out.bias', 'head.out.kernel'];
const PROJ = ['backbone.proj.bias', 'backbone.proj.kernel', 'backbone.proj.running_mean'];
const EMBED = ['backbone.embed'];

test('over 3 epochs, each epoch changes exactly the groups it should; the rest stay bit-identical', async (t) => {
  const snaps = new EpochSnapshots();
  const gu = new GradualUnfreezing();
  // Toy layer groups, bottom to top: backbone.embed, backbone.proj.*, head.**
  const trainer = createTrainer({
    plugins: [new BufferToyModel(), new ToyObjective(), new ToyDataset({ batches: 3 }), new AdamwOptimizer({ lr: 0.05, weightDecay: 0.1 }), gu, snaps],
    options: { seed: 9, epochs: 3 },
    logger: silentLogger(),
  });
  await trainer.setup();
  t.is(gu.trainingGroups, 1);
  await trainer.fit();
  const s = snaps.snaps;
  t.deepEqual(changed(s[0]!, s[1]!), HEAD);
  t.deepEqual(changed(s[1]!, s[2]!), [...PROJ, ...HEAD].sort());
  t.deepEqual(changed(s[2]!, s[3]!), [...EMBED, ...PROJ, ...HEAD].sort());
  t.deepEqual(snaps.trainable[0], HEAD);
  t.deepEqual(snaps.trainable[2], [...EMBED, ...PROJ, ...HEAD].sort());
  t.is(gu.trainingGroups, 3);
  t.deepEqual(gu.getState(), { json: { unfrozen: 3 } });
  trainer.dispose();
});

test('unfreezeEvery: one more group every N epochs, never more than all', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 5].map((e) => groupsToTrain(e, 3, 1)), [1, 2, 3, 3, 3, 3]);
  t.deepEqual([0, 1, 2, 3, 4, 5].map((e) => groupsToTrain(e, 3, 2)), [1, 1, 2, 2, 3, 3]);
});

test('a restored stage unfreezes the top groups it names', async (t) => {
  const gu = new GradualUnfreezing();
  const trainer = createTrainer({
    plugins: [new BufferToyModel(), new ToyObjective(), new ToyDataset(), new AdamwOptimizer(), gu],
    logger: silentLogger(),
  });
  await trainer.setup();
  gu.setState({ json: { unfrozen: 2 } });
  t.is(gu.trainingGroups, 2);
  t.deepEqual(trainer.params.names().filter((n) => trainer.params.isTrainable(n)).sort(), [...PROJ, ...HEAD].sort());
  trainer.dispose();
});

test('bad unfreezeEvery names the option', (t) => {
  const e = t.throws(() => new GradualUnfreezing({ unfreezeEvery: 0 }), { instanceOf: GraftError });
  t.true(e!.message.includes('option "unfreezeEvery"') && e!.message.includes('freezing:gradual-unfreezing'), e!.message);
});
