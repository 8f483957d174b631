import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CoreResources, createTrainer, silentLogger } from '../../../core/index.ts';
import { LabelledTextDataset } from '../../../plugins/datasets/index.ts';
import { classifierRecipe, tempFolder, writeLabelledCsv } from '../conformance/recipes.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const tmp = tempFolder('graft-labelled-result-');
test.after.always(() => tmp.remove());
const csv = writeLabelledCsv(tmp.dir, 40);

async function offered(trainSize: number): Promise<{ result: unknown; train: number; classes: string[] }> {
  const dataset = new LabelledTextDataset({ source: csv, batchSize: 4, maxLen: 8, validationFraction: 0.2, testFraction: 0.1, trainSize });
  const trainer = createTrainer({ plugins: classifierRecipe(csv, { dataset }), logger: silentLogger() });
  await trainer.setup();
  const out = { result: trainer.resources.get(CoreResources.stageResult), train: dataset.examples('train').length, classes: [...dataset.classNames] };
  trainer.dispose();
  return out;
}

test.serial('offers { train_examples, validation_examples, class_names } to the stage result at setup: the examples after subsampling, the classes by id', async (t) => {
  // 40 distinct rows, stratified: 4 to test (10%), 8 to validation (20%), 28 to train.
  const all = await offered(0);
  t.is(all.train, 28);
  t.true(all.classes.length >= 2);
  t.deepEqual(all.result, { train_examples: 28, validation_examples: 8, class_names: all.classes });
  const some = await offered(10);
  t.is(some.train, 10);
  t.deepEqual(some.result, { train_examples: 10, validation_examples: 8, class_names: all.classes });
});
