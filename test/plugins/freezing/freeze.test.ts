import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger, type GraftPlugin, type HeadPlugin, type Outputs } from '../../../core/index.ts';
import { ParamFreezing, freezePlan } from '../../../plugins/freezing/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';
import { BufferToyModel, changed, EpochSnapshots } from './helpers.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});


async function run(freeze: GraftPlugin, extra: GraftPlugin[] = [], model = new ToyModel()) {
  const snaps = new EpochSnapshots();
  const trainer = createTrainer({
    plugins: [model, new ToyObjective(), new ToyDataset({ batches: 3 }), new AdamwOptimizer({ lr: 0.05, weightDecay: 0.1 }), freeze, snaps, ...extra],
    options: { seed: 5 },
    logger: silentLogger(),
  });
  await trainer.fit();
  const trainable = trainer.params.names().filter((n) => trainer.params.isTrainable(n)).sort();
  trainer.dispose();
  return { changed: changed(snaps.snaps[0]!, snaps.snaps[1]!), trainable };
}

test('pattern: matching parameters are frozen and bit-identical after training', async (t) => {
  const r = await run(new ParamFreezing({ pattern: 'backbone.**' }));
  t.deepEqual(r.trainable, ['head.out.bias', 'head.out.kernel']);
  t.deepEqual(r.changed, ['head.out.bias', 'head.out.kernel']);
});

test('a list of patterns', async (t) => {
  const r = await run(new ParamFreezing({ pattern: ['backbone.embed', 'head.out.bias'] }));
  t.deepEqual(r.changed, ['backbone.proj.bias', 'backbone.proj.kernel', 'head.out.kernel']);
});

test('invert (BitFit): only the biases train', async (t) => {
  const r = await run(new ParamFreezing({ pattern: '**.bias', invert: true }));
  t.deepEqual(r.trainable, ['backbone.proj.bias', 'head.out.bias']);
  t.deepEqual(r.changed, ['backbone.proj.bias', 'head.out.bias']);
});

test("exceptHead: linear probe over the head's layer groups (or head.** without a head plugin)", async (t) => {
  const r = await run(new ParamFreezing({ exceptHead: true }));
  t.deepEqual(r.changed, ['head.out.bias', 'head.out.kernel']);
  // A head plugin's layerGroups() decide what "the head" is.
  const head: HeadPlugin = {
    meta: { name: 'head:pass', kind: 'head' },
    apply: () => {},
    forward: (o: Outputs) => o,
    layerGroups: () => ['head.out.kernel'],
  };
  const h = await run(new ParamFreezing({ exceptHead: true }), [head]);
  t.deepEqual(h.changed, ['head.out.kernel']);
});

test('a frozen buffer keeps its statistics; an unfrozen one updates', async (t) => {
  const free = await run(new ParamFreezing({ pattern: 'head.**' }), [], new BufferToyModel());
  t.deepEqual(free.changed, ['backbone.embed', 'backbone.proj.bias', 'backbone.proj.kernel', 'backbone.proj.running_mean']);
  const frozen = await run(new ParamFreezing({ pattern: 'backbone.proj.*' }), [], new BufferToyModel());
  t.deepEqual(frozen.changed, ['backbone.embed', 'head.out.bias', 'head.out.kernel']);
});

test('freezePlan is the ordered list of setTrainable calls', (t) => {
  t.deepEqual(freezePlan({ pattern: 'a.**', exceptHead: false, invert: false }, []), [{ pattern: 'a.**', trainable: false }]);
  t.deepEqual(freezePlan({ pattern: '**.bias', exceptHead: false, invert: true }, []), [
    { pattern: '**', trainable: false },
    { pattern: '**.bias', trainable: true },
  ]);
  t.deepEqual(freezePlan({ exceptHead: true, invert: false }, ['head.a', 'head.b']), [
    { pattern: '**', trainable: false },
    { pattern: 'head.a', trainable: true },
    { pattern: 'head.b', trainable: true },
  ]);
});

test('bad options name the option; a pattern that matches nothing fails at setup', async (t) => {
  const bad = (o: object, option: string) => {
    const e = t.throws(() => new ParamFreezing(o as never), { instanceOf: GraftError });
    t.true(e!.message.includes(`option "${option}"`) && e!.message.includes('freezing:freeze'), e!.message);
  };
  bad({}, 'pattern');
  bad({ pattern: '' }, 'pattern');
  bad({ pattern: 3 }, 'pattern');
  bad({ pattern: 'a.**', exceptHead: true }, 'pattern');
  bad({ exceptHead: true, invert: true }, 'invert');
  bad({ exceptHead: 'yes' }, 'exceptHead');
  bad({ patern: 'a' }, 'patern');
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset(), new AdamwOptimizer(), new ParamFreezing({ pattern: 'encoder.**' })],
    logger: silentLogger(),
  });
  const e = await t.throwsAsync(trainer.setup(), { instanceOf: GraftError });
  t.true(e!.message.includes('"encoder.**"') && e!.message.includes('freezing:freeze'), e!.message);
  trainer.dispose();
});
