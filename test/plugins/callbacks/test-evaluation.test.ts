import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreResources, createTrainer, ErrorCodes, GraftError, silentLogger, type GraftPlugin, type Trainer } from '../../../core/index.ts';
import { TestEvaluationCallback } from '../../../plugins/callbacks/index.ts';
import { PeriodicCheckpoint, latestCheckpoint } from '../../../plugins/checkpoints/index.ts';
import { AccuracyMetric, ConfusionMatrixMetric, F1Metric } from '../../../plugins/metrics/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { classifierRecipe, labelledDataset, tempFolder, writeLabelledCsv } from '../conformance/recipes.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// Created at import: the conformance suite builds its recipes when the tests run.
const tmp = tempFolder('graft-test-evaluation-');
test.after.always(() => tmp.remove());
const csv = writeLabelledCsv(tmp.dir, 40);

/** The AWD-LSTM classifier on the tiny labelled CSV (4 test examples), with the classification metrics. */
const recipe = (): GraftPlugin[] => [...classifierRecipe(csv), new AccuracyMetric(), new F1Metric(), new ConfusionMatrixMetric()];

pluginConformance(test, {
  make: () => new TestEvaluationCallback({ file: path.join(tmp.dir, 'conformance', 'test-metrics.json') }),
  recipe,
});

function run(plugins: GraftPlugin[], runDir?: string, maxSteps = 3): Trainer {
  const trainer = createTrainer({ plugins: [...recipe(), ...plugins], options: { seed: 3, epochs: 5, maxSteps }, logger: silentLogger() });
  if (runDir !== undefined) trainer.resources.set(CoreResources.runDir, runDir);
  return trainer;
}

/** Counts the evaluations of `split` the trainer runs from now on. */
function countEvaluations(trainer: Trainer, split = 'test'): { n: number } {
  const count = { n: 0 };
  trainer.tap('beforeEval', 'test:count-evaluations', (ctx) => {
    if (ctx.split === split) count.n++;
  });
  return count;
}

const TEST_METRICS = ['test_loss', 'test_accuracy', 'test_f1', 'test_precision', 'test_recall'];

test.serial('at the end of a run: the metrics of trainer.evaluate("test") on the same weights, the confusion matrix, the file and the stage result', async (t) => {
  const dir = path.join(tmp.dir, 'run');
  const plugin = new TestEvaluationCallback();
  const trainer = run([plugin], dir);
  const evaluations = countEvaluations(trainer);
  await trainer.fit();
  t.is(evaluations.n, 1, 'one evaluation of the test split, at the end');
  const got = plugin.evaluation!;
  // The weights are those the run left: a direct evaluation now gives the same numbers, in the same order.
  const direct = await trainer.evaluate('test');
  t.deepEqual(Object.keys(got.metrics), Object.keys(direct));
  t.deepEqual(Object.keys(direct), TEST_METRICS);
  t.deepEqual(got.metrics, direct);
  const cm = trainer.plugin<ConfusionMatrixMetric>('metric:confusion-matrix')!.matrices.test!;
  t.deepEqual(got.details, { confusion: cm });
  // The confusion matrix counts the 4 test examples, and its diagonal is the accuracy.
  const total = cm.flat().reduce((a, b) => a + b, 0);
  t.is(total, 4);
  t.is(cm.reduce((a, row, i) => a + row[i]!, 0) / total, direct.test_accuracy);
  // The file: every metric then the details, 2-space indent, final newline.
  const text = readFileSync(path.join(dir, 'test-metrics.json'), 'utf8');
  t.is(text, JSON.stringify({ ...direct, confusion: cm }, null, 2) + '\n');
  t.deepEqual(Object.keys(JSON.parse(text)), [...TEST_METRICS, 'confusion']);
  // The stage result: the dataset's train_examples, then every test metric and the confusion matrix.
  const ds = trainer.plugin<ReturnType<typeof labelledDataset>>('dataset:labelled-text')!;
  t.deepEqual(trainer.resources.get(CoreResources.stageResult), { train_examples: ds.examples('train').length, validation_examples: ds.examples('validation').length, class_names: [...ds.classNames], ...direct, confusion: cm });
  trainer.dispose();
});

test.serial('split validation evaluates that split; its details, not the test split\'s; file \'\' writes nothing', async (t) => {
  const plugin = new TestEvaluationCallback({ split: 'validation', file: '' });
  const trainer = run([plugin]);
  await trainer.fit();
  const direct = await trainer.evaluate('validation');
  t.deepEqual(plugin.evaluation!.metrics, direct);
  t.deepEqual(Object.keys(direct), TEST_METRICS.map((k) => k.replace('test_', 'validation_')));
  const cm = trainer.plugin<ConfusionMatrixMetric>('metric:confusion-matrix')!.matrices.validation!;
  t.is(cm.flat().reduce((a, b) => a + b, 0), 8, '8 validation examples');
  t.deepEqual(plugin.evaluation!.details, { confusion: cm });
  const result = trainer.resources.get(CoreResources.stageResult)!;
  t.is(result.validation_f1, direct.validation_f1);
  t.is(result.test_f1, undefined);
  trainer.dispose();
});

test.serial('not evaluated after a failed run: no file, no values offered', async (t) => {
  const dir = path.join(tmp.dir, 'failed');
  const plugin = new TestEvaluationCallback();
  const boom: GraftPlugin = {
    meta: { name: 'callback:boom', kind: 'callback' },
    apply(tr) {
      tr.tap('afterStep', this, () => {
        throw new Error('boom');
      });
    },
  };
  const trainer = run([plugin, boom], dir);
  const evaluations = countEvaluations(trainer);
  await t.throwsAsync(() => trainer.fit(), { message: 'boom' });
  t.is(evaluations.n, 0);
  t.is(plugin.evaluation, undefined);
  t.false(existsSync(path.join(dir, 'test-metrics.json')));
  const result = trainer.resources.get(CoreResources.stageResult) ?? {};
  t.deepEqual(Object.keys(result).filter((k) => k.startsWith('test_') || k === 'confusion'), []);
  trainer.dispose();
});

test.serial('resumed from the end-of-run checkpoint: the same values are offered, without evaluating', async (t) => {
  const dir = path.join(tmp.dir, 'resume');
  const ckDir = path.join(dir, 'checkpoints');
  const first = run([new TestEvaluationCallback(), new PeriodicCheckpoint({ dir: ckDir, every: 0, keep: 1, best: false })], dir);
  await first.fit();
  const offered = first.resources.get(CoreResources.stageResult)!;
  t.is(typeof offered.test_accuracy, 'number');
  const end = latestCheckpoint(ckDir);
  t.truthy(end, 'checkpoint:periodic saved at the end of the run');

  const plugin = new TestEvaluationCallback();
  const resumed = run([plugin, new PeriodicCheckpoint({ dir: ckDir, every: 0, keep: 1, best: false })], dir);
  const evaluations = countEvaluations(resumed);
  await resumed.resume(end!);
  t.is(resumed.state.step, first.state.step);
  t.is(evaluations.n, 0, 'no evaluation');
  t.deepEqual(resumed.resources.get(CoreResources.stageResult), offered);
  t.deepEqual(plugin.evaluation, first.plugin<TestEvaluationCallback>('callback:test-evaluation')!.evaluation);
  first.dispose();
  resumed.dispose();
});

test.serial('a relative file without a run folder fails before training, naming the option', async (t) => {
  const trainer = run([new TestEvaluationCallback()]);
  const e = await t.throwsAsync(() => trainer.fit(), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e.message, /callback:test-evaluation", option "file": has no run folder/);
  t.is(trainer.state.step, 0, 'no step trained');
  trainer.dispose();
});

test('options are checked by the constructor, naming the option', (t) => {
  const e = t.throws(() => new TestEvaluationCallback({ split: 'dev' as never }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_OPTION);
  t.regex(e.message, /callback:test-evaluation", option "split"/);
  t.throws(() => new TestEvaluationCallback({ file: 3 as never }), { message: /option "file"/ });
  t.throws(() => new TestEvaluationCallback({ prefix: 'test_' } as never), { message: /prefix/ });
});
