import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { GptBenchConfig } from '../../bench/config.ts';
import { graftGptTrainer } from '../../bench/graftGpt.ts';
import { markovBatch, markovTokens } from '../../bench/lib/markovData.ts';
import { referenceParams, referenceValues } from '../../bench/lib/referenceWeights.ts';
import { BareRunner, graftSteps } from '../../bench/measure.ts';
import { MarkovDataset } from '../../bench/plugins/MarkovDataset.ts';
import { StepProbe } from '../../bench/plugins/StepProbe.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const MICRO: GptBenchConfig = {
  vocab: 96, contextLength: 8, nLayers: 1, nHeads: 2, dModel: 16, batchSize: 2,
  adam: { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
};

test.serial('the trainer and the bare loop do the same math: same losses and weights, step for step', async (t) => {
  const probe = new StepProbe({ maxLosses: 3 });
  const trainer = graftGptTrainer(MICRO, [probe]);
  await trainer.setup();
  const bare = new BareRunner(MICRO);
  // Same starting point: the reference weights, embeddings decayed as the reference does.
  const specs = referenceParams({ vocab: 96, context: 8, nLayers: 1, dModel: 16, mlpHidden: 64 });
  specs.forEach((p, pid) => t.deepEqual([...trainer.params.get(p.name).dataSync()], [...referenceValues(p, pid)], p.name));
  t.true(trainer.params.entry('backbone.tokEmbed').decay);
  t.true(trainer.params.entry('backbone.posEmbed').decay);
  t.false(trainer.params.entry('backbone.blocks.0.ln1.gamma').decay);

  await graftSteps(trainer, probe, 3);
  await bare.steps(3);
  t.is(probe.losses.length, 3);
  t.deepEqual(probe.losses, bare.losses);
  t.true(probe.losses[0]! > Math.log(96) - 0.1 && probe.losses[0]! < Math.log(96) + 0.1, `first loss ${probe.losses[0]} ~ ln 96`);
  for (const p of specs) t.deepEqual([...trainer.params.get(p.name).dataSync()], [...bare.loop.params.get(p.name).dataSync()], p.name);
  trainer.dispose();
  bare.dispose();
});

test.serial('the bare loop frees what each step allocates', async (t) => {
  const bare = new BareRunner(MICRO);
  await bare.steps(1);
  const n = tf.memory().numTensors;
  await bare.steps(2);
  t.is(tf.memory().numTensors, n);
  bare.dispose();
});

test('MarkovDataset serves the reference batches in order, resuming mid-epoch', (t) => {
  const ds = new MarkovDataset({ batchSize: 2, contextLength: 8, batchesPerEpoch: 10 });
  const toks = markovTokens();
  const it = ds.batches('train', { epoch: 1, from: 3 });
  for (const k of [13, 14]) {
    const b = it.next().value!;
    const ref = markovBatch(toks, k, 2, 8);
    t.deepEqual([...b.inputs!.dataSync()], [...ref.inputs]);
    t.deepEqual([...b.targets!.dataSync()], [...ref.targets]);
    t.deepEqual(b.inputs!.shape, [2, 8]);
    tf.dispose(Object.values(b));
  }
  t.throws(() => new MarkovDataset({ batchSize: 0 }), { message: /batchSize/ });
});
