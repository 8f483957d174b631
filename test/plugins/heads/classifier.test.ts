import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  constantInit,
  createTrainer,
  silentLogger,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type ForwardContext,
  type GraftPlugin,
  type ModelPlugin,
  type Outputs,
  type Split,
  type TrainerApi,
} from '../../../core/index.ts';
import { ClassifierHead, concatPooling, type ClassifierHeadOptionsInput } from '../../../plugins/heads/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { AccuracyMetric } from '../../../plugins/metrics/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { ToyClassificationDataset } from './classificationToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number[], b: number[], tol = 1e-5) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < tol);

test('concat pooling: [last, max, mean] over the real positions only', (t) => {
  // b0 has length 2: its positions 2 and 3 are padding with values that would win a max or shift a mean
  const x = tf.tensor3d([
    [[1, -2], [3, 0], [100, 100], [-100, 50]],
    [[0, 1], [-1, 5], [2, 2], [4, -3]],
  ]);
  const lengths = tf.tensor1d([2, 4], 'int32');
  const pooled = tf.tidy(() => concatPooling(x, lengths).arraySync()) as number[][];
  t.true(close(pooled[0]!, [3, 0, 3, 0, 2, -1]), `${pooled[0]}`);
  t.true(close(pooled[1]!, [4, -3, 4, 5, 1.25, 1.25]), `${pooled[1]}`);
  // without lengths every position counts and the last one is T-1
  const all = tf.tidy(() => concatPooling(x).arraySync()) as number[][];
  t.true(close(all[0]!, [-100, 50, 100, 100, 1, 37]), `${all[0]}`);
  // padding gets no gradient
  const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(concatPooling(v, lengths)))(x).arraySync()) as number[][][];
  t.deepEqual(g[0]![2], [0, 0]);
  t.deepEqual(g[0]![3], [0, 0]);
  // position 1 of b0 is the last state and the max of both features: 1 + 1 + 1/2
  t.deepEqual(g[0]![1], [2.5, 2.5]);
  tf.dispose([x, lengths]);
});

/** A backbone that passes batch.features [B, T, H] through, times a learned scale (so something trains). */
class PassThroughModel implements ModelPlugin {
  readonly meta = { name: 'model:pass', kind: 'model' } as const;
  readonly featureSize = 1;
  apply(t: TrainerApi): void {
    t.tap('setup', this, () => { t.params.create('backbone.scale', [1], constantInit(1, 1), { owner: 'model:pass' }); }, { stage: 'build' });
  }
  forward(batch: Batch, ctx: ForwardContext): Outputs {
    return { features: tf.mul(batch.features!, ctx.params.read('backbone.scale', ctx.training)) };
  }
  layerGroups() {
    return ['backbone.scale'];
  }
}

// features [4, 2, 1] → pooled rows [last, max, mean]
const FEATURES = [[[1], [2]], [[0], [4]], [[3], [1]], [[2], [2]]];
const POOLED = [[2, 2, 1.5], [4, 4, 2], [1, 3, 2], [2, 2, 2]];

class FixedDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:fixed', kind: 'dataset' } as const;
  readonly numClasses = 3;
  apply(): void {}
  numBatches(): number {
    return 3;
  }
  *batches(_s: Split, o: BatchOptions): IterableIterator<Batch> {
    for (let b = o.from ?? 0; b < 3; b++) yield { features: tf.tensor3d(FEATURES), labels: tf.tensor1d([0, 1, 2, 0], 'int32') };
  }
}

async function headTrainer(opts: ClassifierHeadOptionsInput, extra: GraftPlugin[] = [], maxSteps = 1) {
  const head = new ClassifierHead({ hidden: [], dropouts: [0], ...opts });
  const trainer = createTrainer({
    plugins: [new PassThroughModel(), head, new ClassificationObjective(), new ToySgd(0), new FixedDataset(), ...extra],
    options: { maxSteps, seed: 3 },
    logger: silentLogger(),
  });
  await trainer.setup();
  // one block, identity linear layer: the logits are the BatchNorm output itself
  if (opts.hidden === undefined) trainer.params.get('head.classifier.0.linear.kernel').assign(tf.eye(3));
  return { trainer, head };
}

const read = (trainer: { params: { get(n: string): tf.Tensor } }, n: string) => Array.from(trainer.params.get(n).dataSync());

function column(rows: number[][], j: number) {
  return rows.map((r) => r[j]!);
}

test('BatchNorm: batch statistics in training (updating the running ones), running statistics at evaluation', async (t) => {
  const { trainer, head } = await headTrainer({});
  t.deepEqual(head.layerSizes, [3, 3]);
  t.deepEqual(head.layerGroups(), ['head.**']);
  const eps = 1e-5;
  const mean = [0, 1, 2].map((j) => column(POOLED, j).reduce((a, b) => a + b) / 4);
  const varB = [0, 1, 2].map((j) => column(POOLED, j).reduce((a, v) => a + (v - mean[j]!) ** 2, 0) / 4);
  const batch = { features: tf.tensor3d(FEATURES) };
  const train = tf.tidy(() => trainer.forward(batch, true).logits!.arraySync()) as number[][];
  POOLED.forEach((row, i) => t.true(close(train[i]!, row.map((v, j) => (v - mean[j]!) / Math.sqrt(varB[j]! + eps)), 1e-4), `${train[i]}`));
  // running = 0.9 * (0, 1) + 0.1 * (batch mean, unbiased batch variance)
  const runMean = mean.map((m) => 0.1 * m);
  const runVar = varB.map((v) => 0.9 + 0.1 * (v * 4) / 3);
  t.true(close(read(trainer, 'head.classifier.0.bn.runningMean'), runMean));
  t.true(close(read(trainer, 'head.classifier.0.bn.runningVar'), runVar));
  const evalOut = tf.tidy(() => trainer.forward(batch, false).logits!.arraySync()) as number[][];
  POOLED.forEach((row, i) => t.true(close(evalOut[i]!, row.map((v, j) => (v - runMean[j]!) / Math.sqrt(runVar[j]! + eps)), 1e-4), `${evalOut[i]}`));
  // evaluation leaves the running statistics alone
  t.true(close(read(trainer, 'head.classifier.0.bn.runningMean'), runMean));
  batch.features.dispose();
  trainer.dispose();
});

test('a frozen head keeps its BatchNorm buffers during a training step; an unfrozen one updates them', async (t) => {
  for (const frozen of [true, false]) {
    const { trainer } = await headTrainer({});
    if (frozen) trainer.params.setTrainable('head.**', false);
    const names = ['head.classifier.0.bn.runningMean', 'head.classifier.0.bn.runningVar', 'head.classifier.0.bn.gamma'];
    const before = names.map((n) => read(trainer, n));
    const res = await trainer.fit();
    t.is(res.state.step, 1);
    const after = names.map((n) => read(trainer, n));
    if (frozen) t.deepEqual(after, before);
    else {
      t.notDeepEqual(after[0], before[0]);
      t.notDeepEqual(after[1], before[1]);
    }
    trainer.dispose();
  }
});

test('hidden blocks: sizes, ReLU between blocks, logits shape', async (t) => {
  const { trainer, head } = await headTrainer({ hidden: [5, 4], dropouts: [0.1, 0.2, 0.3] });
  t.deepEqual(head.layerSizes, [3, 5, 4, 3]);
  t.deepEqual(trainer.params.get('head.classifier.1.linear.kernel').shape, [5, 4]);
  t.deepEqual(trainer.params.get('head.classifier.2.bn.runningVar').shape, [4]);
  const batch = { features: tf.tensor3d(FEATURES) };
  tf.tidy(() => {
    const out = trainer.forward(batch, false);
    t.deepEqual(out.logits!.shape, [4, 3]);
    t.truthy(out.features, 'backbone outputs pass through');
  });
  batch.features.dispose();
  trainer.dispose();
});

test('bad or missing options fail naming the option', async (t) => {
  t.throws(() => new ClassifierHead({ hidden: [10], dropouts: [0.1] }), { message: /option "dropouts".*2 values/ });
  t.throws(() => new ClassifierHead({ dropouts: [0.1, 1] }), { message: /option "dropouts"/ });
  t.throws(() => new ClassifierHead({ hidden: [2.5] }), { message: /option "hidden"/ });
  t.throws(() => new ClassifierHead({ numClasses: 1 }), { message: /option "numClasses"/ });
  const noClasses: DatasetPlugin = { meta: { name: 'dataset:none', kind: 'dataset' }, apply() {}, numBatches: () => 1, batches: () => [][Symbol.iterator]() };
  const trainer = createTrainer({
    plugins: [new PassThroughModel(), new ClassifierHead(), new ClassificationObjective(), new ToySgd(0), noClasses],
    logger: silentLogger(),
  });
  await t.throwsAsync(() => trainer.setup(), { message: /head:classifier.*option "numClasses"/ });
  trainer.dispose();
});

test('BatchNorm refuses a training batch of one', async (t) => {
  const { trainer } = await headTrainer({});
  const batch = { features: tf.tensor3d([[[1], [2]]]) };
  t.throws(() => tf.tidy(() => trainer.forward(batch, true)), { message: /at least 2 examples/ });
  batch.features.dispose();
  trainer.dispose();
});

test.serial('training steps hold the tensor count flat', async (t) => {
  const counts: number[] = [];
  const probe: GraftPlugin = {
    meta: { name: 'callback:count', kind: 'callback' },
    apply: (tr) => tr.tap('afterStep', 'callback:count', () => { counts.push(tf.memory().numTensors); }, { stage: 'last' }),
  };
  const { trainer } = await headTrainer({ hidden: [4], dropouts: [0.2, 0.1] }, [probe], 3);
  await trainer.fit();
  t.is(counts.length, 3);
  t.true(counts.every((c) => c === counts[0]), `${counts}`);
  trainer.dispose();
});

test('AWD-LSTM + classifier head learn a toy task that needs the sequence lengths', async (t) => {
  const metric = new AccuracyMetric();
  const trainer = createTrainer({
    plugins: [
      new AwdLstmModel({ vocabSize: 9, embSize: 16, hiddenSize: 24, nLayers: 1, weightDropout: 0.1, embedDropout: 0, inputDropout: 0.1, hiddenDropout: 0, outputDropout: 0 }),
      new ClassifierHead({ hidden: [16], dropouts: [0, 0] }),
      new ClassificationObjective(),
      new AdamwOptimizer({ lr: 0.02, weightDecay: 0 }),
      new ToyClassificationDataset({ batches: 8, batchSize: 16, evalBatches: 4 }),
      metric,
    ],
    options: { seed: 4, epochs: 4 },
    logger: silentLogger(),
  });
  await trainer.setup();
  const before = await trainer.evaluate();
  await trainer.fit();
  const after = await trainer.evaluate();
  t.true(after.validation_accuracy! > 0.8, `accuracy ${before.validation_accuracy} -> ${after.validation_accuracy}`);
  t.true(after.validation_loss! < before.validation_loss! * 0.5, `loss ${before.validation_loss} -> ${after.validation_loss}`);
  trainer.dispose();
});
