import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ContainerModule } from 'inversify';
import { ErrorCodes, GraftError, TOKENS, Trainer, createContainer, createTrainer, silentLogger, type GraftPlugin } from '../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd, toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const cb = (name: string, meta: Partial<GraftPlugin['meta']> = {}): GraftPlugin => ({
  meta: { name: `callback:${name}`, kind: 'callback', ...meta },
  apply() {},
});

function build(plugins: GraftPlugin[]) {
  return createTrainer({ plugins, logger: silentLogger() });
}

test('a missing dependency names both plugins', (t) => {
  const e = t.throws(() => build([...toyPlugins(), cb('needs-sched', { dependsOn: ['scheduler:*'] })]), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e.message, /callback:needs-sched.*depends on "scheduler:\*"/);
});

test('a conflict names both plugins and the fix', (t) => {
  const e = t.throws(() => build([...toyPlugins(), cb('a', { conflictsWith: ['callback:b'] }), cb('b')]), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.CONFLICT);
  t.regex(e.message, /"callback:a".*conflicts with "callback:b".*Remove one of "callback:a" and "callback:b"/);
});

test('two plugins of a singleton kind is an error naming both', (t) => {
  const other = new ToySgd();
  (other as { meta: object }).meta = { name: 'optimizer:other', kind: 'optimizer' };
  const e = t.throws(() => build([...toyPlugins(), other]), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.SINGLETON);
  t.regex(e.message, /"optimizer:toy-sgd" and "optimizer:other" are both of kind "optimizer"/);
});

test('duplicate names, malformed names and missing apply are rejected', (t) => {
  const dup = t.throws(() => build([...toyPlugins(), cb('x'), cb('x')]), { instanceOf: GraftError });
  t.is(dup.code, ErrorCodes.CONFLICT);
  t.regex(dup.message, /"callback:x" is in the recipe twice.*Remove one.*meta\.name/);
  const e = t.throws(() => build([...toyPlugins(), { meta: { name: 'Callback:X', kind: 'callback' }, apply() {} }]), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_PLUGIN);
  t.regex(e.message, /expected "callback:<name>"/);
  const e2 = t.throws(() => build([...toyPlugins(), { meta: { name: 'callback:y', kind: 'callback' } } as GraftPlugin]), { instanceOf: GraftError });
  t.regex(e2.message, /no apply\(trainer\)/);
});

test('a role plugin without the role methods is rejected at build', (t) => {
  const bad = { meta: { name: 'model:bad', kind: 'model' }, apply() {} } as GraftPlugin;
  const e = t.throws(() => build([bad, new ToyObjective(), new ToySgd(), new ToyDataset()]), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_PLUGIN);
  t.regex(e.message, /model:bad.*no forward\(\) method/);
});

test('a missing role fails at setup with a coded error', async (t) => {
  const tr = build([new ToyModel(), new ToyObjective(), new ToyDataset()]);
  const e = await t.throwsAsync(() => tr.fit(), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.MISSING_ROLE);
  t.regex(e.message, /no optimizer plugin/);
});

test('rebinding a role token replaces one part of the recipe', async (t) => {
  const container = createContainer({ plugins: toyPlugins(), options: { epochs: 1 }, logger: silentLogger() });
  const replacement = new ToySgd(0.01);
  (replacement as { meta: object }).meta = { name: 'optimizer:slow-sgd', kind: 'optimizer' };
  container.rebind(TOKENS.Optimizer).toConstantValue(replacement);
  const tr = container.get(Trainer);
  t.is(tr.role('optimizer'), replacement);
  t.is(tr.plugins.filter((p) => p.meta.kind === 'optimizer').length, 1);
  tr.dispose();
});

test('a ContainerModule can add plugins and inject core services into them', async (t) => {
  const seen: string[] = [];
  const mod = new ContainerModule(({ bind }) => {
    bind(TOKENS.Plugin).toDynamicValue((ctx) => {
      const opts = ctx.get(TOKENS.TrainerOptions);
      return { meta: { name: 'callback:from-module', kind: 'callback' }, apply: () => void seen.push(`seed=${opts.seed}`) };
    });
  });
  const tr = createTrainer({ plugins: toyPlugins(), modules: [mod], options: { seed: 7 }, logger: silentLogger() });
  t.deepEqual(seen, ['seed=7']);
  t.truthy(tr.plugin('callback:from-module'));
  tr.dispose();
});

test('bad trainer options name the option and what is allowed', (t) => {
  const e = t.throws(() => createTrainer({ plugins: toyPlugins(), options: { epochs: -1 }, logger: silentLogger() }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_OPTION);
  t.regex(e.message, /plugin "trainer", option "epochs".*expected a integer >= 0, got -1/);
  const e2 = t.throws(() => createTrainer({ plugins: toyPlugins(), options: { epoch: 1 } as never, logger: silentLogger() }), { instanceOf: GraftError });
  t.regex(e2.message, /option "epoch": unknown option; expected one of seed, epochs, maxSteps/);
});
