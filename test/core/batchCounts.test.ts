import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { batchCounts, createTrainer, silentLogger, type Batch, type BatchCounts, type BatchOptions, type Split } from '../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('batchCounts reads the declared inputs, wherever it sits; the first tensor only when nothing is declared', (t) => {
  tf.tidy(() => {
    // `inputs` is not the first tensor: the count is still its rows and size
    t.deepEqual(batchCounts({ labels: tf.zeros([3], 'int32'), inputs: tf.zeros([2, 5], 'int32') }), { examples: 2, tokens: 10 });
    // a third-party batch that declares nothing: its first tensor (documented fallback)
    t.deepEqual(batchCounts({ x: tf.zeros([4, 3]), y: tf.zeros([4]) }), { examples: 4, tokens: 12 });
    t.deepEqual(batchCounts({ x: tf.scalar(1) }), { examples: 1, tokens: 1 });
    t.is(batchCounts({}), undefined);
  });
});

/** Declares its counts: only the first validation batch weighs anything. */
class CountingDataset extends ToyDataset {
  countsOf(batch: Batch): BatchCounts {
    const first = (batch.inputs!.dataSync()[0]! - 1) % 11 === 0; // validation batch 0 starts with id 1
    return { examples: first ? 1 : 0, tokens: 7 };
  }
}

test('the dataset declares counts: the evaluation weight and state.examples/tokens come from countsOf', async (t) => {
  const make = (dataset: ToyDataset) =>
    createTrainer({ plugins: [new ToyModel(), new ToyObjective(), dataset, new ToySgd(0.1)], options: { seed: 2, maxSteps: 2 }, logger: silentLogger() });
  const counted = make(new CountingDataset());
  await counted.fit();
  t.is(counted.state.tokens, 14);
  t.is(counted.state.examples, 0); // train batch 0 starts with id 0, batch 1 with id 5: neither counts
  const metrics = await counted.evaluate('validation');
  const plain = make(new ToyDataset());
  await plain.fit();
  t.is(plain.state.examples, 8);
  t.is(plain.state.tokens, 40);
  // the weighted mean with weights (1, 0) is the first batch's loss
  const first: Batch = plain.role('dataset').batches('validation' as Split, { epoch: 0 } as BatchOptions).next().value!;
  const loss = tf.tidy(() => plain.role('objective').loss(plain.forward(first, false), first, plain.forwardContext(false)).dataSync()[0]!);
  tf.dispose(Object.values(first));
  t.true(Math.abs(metrics.validation_loss! - loss) < 1e-6, `${metrics.validation_loss} vs ${loss}`);
  counted.dispose();
  plain.dispose();
});
