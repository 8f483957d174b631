import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  createContainer, createTrainer, orderByDependencies, replaceSlot, silentLogger, slotNames, Trainer, TOKENS, type GraftPlugin,
} from '../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** A plugin that records when it is applied and when its beforeRun tap runs. */
function recorder(name: string, log: string[], meta: Partial<GraftPlugin['meta']> = {}): GraftPlugin {
  return {
    meta: { name, kind: name.split(':')[0]!, ...meta },
    apply(tr) {
      log.push(`apply ${name}`);
      tr.tap('beforeRun', this, () => void log.push(`run ${name}`));
    },
  };
}

test('slot names: the kind for a plugin alone of its kind or a role, the short name otherwise, unique', (t) => {
  const p = (name: string) => ({ meta: { name, kind: name.split(':')[0]! }, apply() {} }) as GraftPlugin;
  t.deepEqual(
    slotNames([p('model:gpt'), p('callback:grad-clip'), p('callback:evaluate'), p('scheduler:constant'), p('checkpoint:periodic'), p('metric:f1')]),
    ['model', 'grad-clip', 'evaluate', 'scheduler', 'checkpoint', 'metric'],
  );
  t.deepEqual(slotNames([p('metric:f1'), p('metric:accuracy'), p('callback:x'), p('other:x')]), ['f1', 'accuracy', 'callback', 'other']);
  // Two optimizers: kept apart here so that validatePlugins can name both.
  t.deepEqual(slotNames([p('optimizer:a'), p('optimizer:b')]), ['optimizer', 'optimizer#2']);
});

test('plugins are applied in recipe order, moved only by dependsOn', async (t) => {
  const log: string[] = [];
  const a = recorder('callback:a', log);
  const b = recorder('callback:b', log, { dependsOn: ['callback:c'] });
  const c = recorder('callback:c', log);
  // The dataset, a role, listed last stays last: roles are not moved ahead any more.
  const tr = createTrainer({
    plugins: [a, new ToyModel(), b, new ToyObjective(), c, new ToySgd(), new ToyDataset({ batches: 1 })],
    options: { maxSteps: 1 },
    logger: silentLogger(),
  });
  t.deepEqual(tr.plugins.map((p) => p.meta.name), ['callback:a', 'model:toy', 'objective:toy-xent', 'callback:c', 'callback:b', 'optimizer:toy-sgd', 'dataset:toy']);
  await tr.fit();
  t.deepEqual(log, ['apply callback:a', 'apply callback:c', 'apply callback:b', 'run callback:a', 'run callback:c', 'run callback:b']);
  tr.dispose();
});

test('orderByDependencies keeps recipe order for independent plugins and is stable', (t) => {
  const p = (name: string, dependsOn?: string[]) => ({ meta: { name, kind: name.split(':')[0]!, dependsOn }, apply() {} }) as GraftPlugin;
  const list = [p('head:h', ['model:*']), p('callback:x'), p('model:m'), p('callback:y', ['head:h'])];
  t.deepEqual(orderByDependencies(list).map((q) => q.meta.name), ['callback:x', 'model:m', 'head:h', 'callback:y']);
});

test('replacing a slot puts the new plugin where the old one ran; the role token is the slot', async (t) => {
  const log: string[] = [];
  const plugins = [recorder('callback:first', log), new ToyModel(), new ToyObjective(), new ToySgd(), recorder('scheduler:old', log), recorder('callback:last', log), new ToyDataset({ batches: 1 })];
  const replacement = recorder('scheduler:new', log);
  const tr = createTrainer({ plugins, modules: [replaceSlot('scheduler', replacement)], options: { maxSteps: 1 }, logger: silentLogger() });
  t.deepEqual(tr.plugins.map((p) => p.meta.name), ['callback:first', 'model:toy', 'objective:toy-xent', 'optimizer:toy-sgd', 'scheduler:new', 'callback:last', 'dataset:toy']);
  await tr.fit();
  t.deepEqual(log.filter((l) => l.startsWith('run')), ['run callback:first', 'run scheduler:new', 'run callback:last']);
  tr.dispose();
  const container = createContainer({ plugins: [new ToyModel(), new ToyObjective(), new ToySgd(), new ToyDataset()], logger: silentLogger() });
  const sgd = new ToySgd(0.5);
  container.rebind(TOKENS.Optimizer).toConstantValue(sgd);
  const tr2 = container.get(Trainer);
  t.is(tr2.role('optimizer'), sgd);
  t.is(tr2.plugins.indexOf(sgd), 2, 'in the optimizer\'s place');
  tr2.dispose();
});
