import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, epochsForMinSteps, GraftError, silentLogger } from '../../../core/index.ts';
import { epochsStarted, GradualUnfreezing, groupsToTrain, unfreezeAllAtStart } from '../../../plugins/freezing/index.ts';
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

test('bad unfreezeEvery and whenShort name the option', (t) => {
  const e = t.throws(() => new GradualUnfreezing({ unfreezeEvery: -1 }), { instanceOf: GraftError });
  t.true(e!.message.includes('option "unfreezeEvery"') && e!.message.includes('freezing:gradual-unfreezing'), e!.message);
  const w = t.throws(() => new GradualUnfreezing({ whenShort: 'sometimes' as never }), { instanceOf: GraftError });
  t.regex(w!.message, /option "whenShort".*keep-schedule, unfreeze-all/);
});

// The decision ULMFiT's classifier made in preset code before (classifierRunLength), case by case:
// 3 LSTM layers = 5 layer groups; the bottom one trains from epoch (5 - 1) x unfreezeEvery.
test('unfreezeAllAtStart: the bottom group must unfreeze before the run ends, else every group trains from the start', (t) => {
  const all = (o: { epochs: number; minSteps?: number; maxSteps?: number; batches: number; every?: number; groups?: number }) =>
    unfreezeAllAtStart({
      numGroups: o.groups ?? 5,
      unfreezeEvery: o.every ?? 1,
      whenShort: 'unfreeze-all',
      epochsRun: epochsStarted(epochsForMinSteps(o.epochs, o.minSteps ?? 0, o.batches), o.maxSteps ?? 0, o.batches),
    });
  // 100 examples (3 full batches), 80 steps: 27 epochs; the bottom trains from epoch 4.
  t.false(all({ epochs: 4, minSteps: 80, batches: 3 }));
  // 1000 examples (31 batches), 4 epochs: epochs 0-3, the bottom would unfreeze in the 5th.
  t.true(all({ epochs: 4, minSteps: 40, batches: 31 }));
  t.false(all({ epochs: 6, minSteps: 40, batches: 31 }));
  // Capped at 80 steps: 3 epochs started, fewer than the 5 it takes.
  t.true(all({ epochs: 6, maxSteps: 80, batches: 31 }));
  // Exactly 5 epochs: the bottom unfrozen for the last one.
  t.false(all({ epochs: 5, batches: 10 }));
  t.true(all({ epochs: 4, batches: 10 }));
  // Every 2 epochs: the bottom from epoch 8, so 9 epochs are needed.
  t.false(all({ epochs: 9, batches: 10, every: 2 }));
  t.true(all({ epochs: 8, batches: 10, every: 2 }));
  // unfreezeEvery 0: always all; keep-schedule: never decided at the start.
  t.true(all({ epochs: 100, batches: 10, every: 0 }));
  t.false(unfreezeAllAtStart({ numGroups: 5, unfreezeEvery: 1, whenShort: 'keep-schedule', epochsRun: 1 }));
  t.is(epochsStarted(6, 80, 31), 3);
  t.is(epochsStarted(6, 0, 31), 6);
  t.is(epochsStarted(2, 1000, 31), 2);
  t.deepEqual([0, 5, 50].map((e) => groupsToTrain(e, 4, 0)), [4, 4, 4]);
});

for (const [whenShort, epochs, expectAll] of [['unfreeze-all', 2, true], ['keep-schedule', 2, false], ['unfreeze-all', 3, false]] as const) {
  test(`whenShort ${whenShort}, ${epochs} epochs over 3 groups: ${expectAll ? 'every group trains from the first step' : 'one group more an epoch'}`, async (t) => {
    const snaps = new EpochSnapshots();
    const gu = new GradualUnfreezing({ whenShort });
    const trainer = createTrainer({
      plugins: [new BufferToyModel(), new ToyObjective(), new ToyDataset({ batches: 3 }), new AdamwOptimizer({ lr: 0.05, weightDecay: 0.1 }), gu, snaps],
      options: { seed: 9, epochs },
      logger: silentLogger(),
    });
    await trainer.fit();
    const s = snaps.snaps;
    const everything = [...EMBED, ...PROJ, ...HEAD].sort();
    t.deepEqual(changed(s[0]!, s[1]!), expectAll ? everything : HEAD);
    t.deepEqual(snaps.trainable[0], expectAll ? everything : HEAD);
    t.is(gu.trainingGroups, expectAll ? 3 : Math.min(3, epochs));
    trainer.dispose();
  });
}

test('with the trainer\'s minSteps the decision sees the raised epochs', async (t) => {
  const gu = new GradualUnfreezing({ whenShort: 'unfreeze-all' });
  // 2 epochs asked for, but 9 steps of 3 batches: 3 epochs, enough for 3 groups.
  const trainer = createTrainer({
    plugins: [new BufferToyModel(), new ToyObjective(), new ToyDataset({ batches: 3 }), new AdamwOptimizer(), gu],
    options: { seed: 9, epochs: 2, minSteps: 9 },
    logger: silentLogger(),
  });
  const res = await trainer.fit();
  t.is(res.state.step, 9);
  t.is(trainer.state.maxEpochs, 3);
  t.is(gu.trainingGroups, 3);
  trainer.dispose();
});
