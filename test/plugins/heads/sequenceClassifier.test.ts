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
  type Trainer,
  type TrainerApi,
} from '../../../core/index.ts';
import { poolSequence, SequenceClassifierHead, type SequenceClassifierHeadOptionsInput, type SequencePooling } from '../../../plugins/heads/index.ts';
import { GptModel, type GptOptions } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { AccuracyMetric } from '../../../plugins/metrics/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { SEQ_TOY, SeqToyDataset } from './sequenceToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number[], b: number[], tol = 1e-5) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < tol);

// [2, 4, 3]; row 1 has length 2: its positions 2 and 3 are padding, with values that would move any pooling
const X = [
  [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]],
  [[-1, 0, 2], [3, -2, 1], [50, 60, 70], [-80, 90, 100]],
];
const LENGTHS = [4, 2];
const EXPECTED: Record<SequencePooling, number[][]> = {
  first: [[1, 2, 3], [-1, 0, 2]],
  // row 0: (1+4+7+10)/4, (2+5+8+11)/4, (3+6+9+12)/4; row 1: (-1+3)/2, (0-2)/2, (2+1)/2
  mean: [[5.5, 6.5, 7.5], [1, -1, 1.5]],
  last: [[10, 11, 12], [3, -2, 1]],
};
const POOLINGS: SequencePooling[] = ['first', 'mean', 'last'];

function pool(x: number[][][], pooling: SequencePooling, lengths?: number[]): Float32Array {
  return tf.tidy(() => poolSequence(tf.tensor3d(x), pooling, lengths && tf.tensor1d(lengths, 'int32')).dataSync() as Float32Array);
}

test('poolSequence: first, mean over the real positions, last real position, by hand', (t) => {
  for (const p of POOLINGS) {
    const out = tf.tidy(() => poolSequence(tf.tensor3d(X), p, tf.tensor1d(LENGTHS, 'int32')).arraySync());
    t.deepEqual(out, EXPECTED[p], p);
  }
  // without lengths every position is real: the mean of all four, the last is T - 1
  t.deepEqual(Array.from(pool(X, 'mean')), [5.5, 6.5, 7.5, -7, 37, 43.25]);
  t.deepEqual(Array.from(pool(X, 'last')), [10, 11, 12, -80, 90, 100]);
  t.deepEqual(Array.from(pool(X, 'first')), [1, 2, 3, -1, 0, 2]);
  // lengths are clamped to [1, T]
  t.deepEqual(Array.from(pool(X, 'last', [9, 0])), [10, 11, 12, -1, 0, 2]);
  t.deepEqual(Array.from(pool(X, 'mean', [9, 0])), [5.5, 6.5, 7.5, -1, 0, 2]);
});

test('poolSequence: the features at padded positions change nothing, bit for bit, and get no gradient', (t) => {
  for (const p of POOLINGS) {
    const ref = pool(X, p, LENGTHS);
    for (const padValue of [[0, 0, 0], [1e30, -1e30, 3.3], [NaN, Infinity, -Infinity]]) {
      const other = X.map((row, b) => row.map((v, s) => (s >= LENGTHS[b]! ? padValue : v)));
      t.deepEqual(pool(other, p, LENGTHS), ref, `${p} with pad features ${padValue}`);
    }
    const g = tf.tidy(() => {
      const lengths = tf.tensor1d(LENGTHS, 'int32');
      return tf.grad((x: tf.Tensor) => tf.sum(poolSequence(x, p, lengths)))(tf.tensor3d(X)).arraySync() as number[][][];
    });
    t.deepEqual(g[1]![2], [0, 0, 0], p);
    t.deepEqual(g[1]![3], [0, 0, 0], p);
    const w = { first: [1, 0], mean: [0.5, 0.5], last: [0, 1] }[p];
    t.deepEqual(g[1]!.slice(0, 2).map((r) => r[0]), w, `${p}: gradient over the real positions of row 1`);
  }
});

/** Passes batch.features [B, T, 3] through times a learned scale, and reports `causal` as told. */
class PassThroughModel implements ModelPlugin {
  readonly meta = { name: 'model:pass', kind: 'model' } as const;
  readonly featureSize = 3;
  constructor(readonly causal?: boolean) {}
  apply(t: TrainerApi): void {
    t.tap('setup', this, () => void t.params.create('backbone.scale', [1], constantInit(1, 1), { owner: 'model:pass' }), { stage: 'build' });
  }
  forward(batch: Batch, ctx: ForwardContext): Outputs {
    return { features: tf.mul(batch.features!, ctx.params.read('backbone.scale', ctx.training)) };
  }
  layerGroups() {
    return ['backbone.scale'];
  }
}

class FixedDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:fixed', kind: 'dataset' } as const;
  readonly numClasses = 3;
  apply(): void {}
  numBatches(): number {
    return 2;
  }
  *batches(_s: Split, o: BatchOptions): IterableIterator<Batch> {
    for (let b = o.from ?? 0; b < 2; b++) yield { features: tf.tensor3d(X), lengths: tf.tensor1d(LENGTHS, 'int32'), labels: tf.tensor1d([0, 2], 'int32') };
  }
}

async function passTrainer(opts: SequenceClassifierHeadOptionsInput, causal?: boolean): Promise<{ trainer: Trainer; head: SequenceClassifierHead }> {
  const head = new SequenceClassifierHead({ dropout: 0, ...opts });
  const trainer = createTrainer({
    plugins: [new PassThroughModel(causal), head, new ClassificationObjective(), new SgdOptimizer({ lr: 0 }), new FixedDataset()],
    options: { seed: 2, maxSteps: 1 },
    logger: silentLogger(),
  });
  await trainer.setup();
  return { trainer, head };
}

function logitsOf(trainer: Trainer, batch: Batch, training = false): number[][] {
  return tf.tidy(() => trainer.forward(batch, training).logits!.arraySync() as number[][]);
}

const fixedBatch = (): Batch => ({ features: tf.tensor3d(X), lengths: tf.tensor1d(LENGTHS, 'int32') });

test('the head: pooled → (pooler: tanh(dense)) → dense, with its parameters, sizes and groups', async (t) => {
  for (const p of POOLINGS) {
    const { trainer, head } = await passTrainer({ pooling: p });
    t.is(head.pooling, p);
    t.deepEqual(head.layerSizes, [3, 3]);
    t.deepEqual(head.layerGroups(), ['head.**']);
    t.deepEqual(trainer.params.names().filter((n) => n.startsWith('head.')).sort(), ['head.cls.out.bias', 'head.cls.out.kernel']);
    trainer.params.get('head.cls.out.kernel').assign(tf.eye(3));
    const batch = fixedBatch();
    t.deepEqual(logitsOf(trainer, batch), EXPECTED[p], p);
    tf.dispose(batch);
    trainer.dispose();
  }
  const { trainer } = await passTrainer({ pooling: 'mean', pooler: true });
  t.deepEqual(trainer.params.get('head.cls.pooler.kernel').shape, [3, 3]);
  t.deepEqual(trainer.params.get('head.cls.pooler.bias').shape, [3]);
  trainer.params.get('head.cls.pooler.kernel').assign(tf.mul(tf.eye(3), 0.1));
  trainer.params.get('head.cls.pooler.bias').assign(tf.tensor1d([0, 0.5, 0]));
  trainer.params.get('head.cls.out.kernel').assign(tf.eye(3));
  const batch = fixedBatch();
  const out = logitsOf(trainer, batch);
  const want = EXPECTED.mean.map((r) => r.map((v, j) => Math.tanh(0.1 * v + (j === 1 ? 0.5 : 0))));
  out.forEach((r, i) => t.true(close(r, want[i]!), `${r} vs ${want[i]}`));
  tf.dispose(batch);
  trainer.dispose();
});

test('hidden layers: sizes, parameters, the activation, logits [B, C]', async (t) => {
  const { trainer, head } = await passTrainer({ pooling: 'last', hidden: [5, 4], activation: 'relu' });
  t.deepEqual(head.layerSizes, [3, 5, 4, 3]);
  t.deepEqual(trainer.params.get('head.cls.hidden.0.kernel').shape, [3, 5]);
  t.deepEqual(trainer.params.get('head.cls.hidden.1.kernel').shape, [5, 4]);
  t.deepEqual(trainer.params.get('head.cls.out.kernel').shape, [4, 3]);
  // identity-like layers: relu keeps the positive parts of the pooled last token
  trainer.params.get('head.cls.hidden.0.kernel').assign(tf.eye(3, 5));
  trainer.params.get('head.cls.hidden.1.kernel').assign(tf.eye(5, 4));
  trainer.params.get('head.cls.out.kernel').assign(tf.eye(4, 3));
  const batch = fixedBatch();
  t.deepEqual(logitsOf(trainer, batch), [[10, 11, 12], [3, 0, 1]]);
  tf.dispose(batch);
  trainer.dispose();
});

test('auto pooling: last when the model reports causal: true, first when false or unsaid', async (t) => {
  for (const [causal, want] of [[true, 'last'], [false, 'first'], [undefined, 'first']] as const) {
    const { trainer, head } = await passTrainer({}, causal);
    t.is(head.pooling, want, `causal ${causal}`);
    trainer.params.get('head.cls.out.kernel').assign(tf.eye(3));
    const batch = fixedBatch();
    t.deepEqual(logitsOf(trainer, batch), EXPECTED[want]);
    tf.dispose(batch);
    trainer.dispose();
  }
  for (const causal of [true, false]) {
    const { trainer, head } = await gptTrainer({ causal }, {});
    t.is(head.pooling, causal ? 'last' : 'first', `model:gpt causal ${causal}`);
    trainer.dispose();
  }
});

test('bad or missing options fail naming the option', async (t) => {
  t.throws(() => new SequenceClassifierHead({ hidden: [2.5] }), { message: /option "hidden"/ });
  t.throws(() => new SequenceClassifierHead({ numClasses: 1 }), { message: /option "numClasses"/ });
  t.throws(() => new SequenceClassifierHead({ pooling: 'max' as 'mean' }), { message: /option "pooling"/ });
  const noClasses: DatasetPlugin = { meta: { name: 'dataset:none', kind: 'dataset' }, apply() {}, numBatches: () => 1, batches: () => [][Symbol.iterator]() };
  const trainer = createTrainer({
    plugins: [new PassThroughModel(), new SequenceClassifierHead(), new ClassificationObjective(), new SgdOptimizer(), noClasses],
    logger: silentLogger(),
  });
  await t.throwsAsync(() => trainer.setup(), { message: /head:sequence-classifier.*option "numClasses"/ });
  trainer.dispose();
  const { trainer: tr } = await passTrainer({});
  const batch = { features: tf.zeros([2, 3]) };
  t.throws(() => tf.tidy(() => tr.forward(batch, false)), { message: /head:sequence-classifier.*\[B, T, D\]/ });
  tf.dispose(batch);
  tr.dispose();
});

// ---- on a tiny GPT ----

const TINY_GPT: GptOptions = { vocabSize: SEQ_TOY.vocab, contextLength: 8, nLayers: 1, nHeads: 2, dModel: 8, dropout: 0 };

async function gptTrainer(gpt: GptOptions, head: SequenceClassifierHeadOptionsInput, extra: GraftPlugin[] = [], o: { epochs?: number; maxSteps?: number } = {}) {
  const h = new SequenceClassifierHead({ dropout: 0, ...head });
  const trainer = createTrainer({
    plugins: [
      new GptModel({ ...TINY_GPT, ...gpt }),
      h,
      new ClassificationObjective(),
      new AdamwOptimizer({ lr: 0.01, weightDecay: 0 }),
      new SeqToyDataset({ batches: 6, batchSize: 8, evalBatches: 2 }),
      ...extra,
    ],
    options: { seed: 5, epochs: o.epochs ?? 1, maxSteps: o.maxSteps ?? 0 },
    logger: silentLogger(),
  });
  await trainer.setup();
  return { trainer, head: h };
}

// row 0 is full (length 5); row 1 has length 3 and two pad positions
const GPT_ROWS = [[1, 2, 3, 4, 5], [1, 7, 8, -1, -1]];
const gptBatch = (padId: number): Batch => ({
  inputs: tf.tensor2d(GPT_ROWS.map((r) => r.map((v) => (v < 0 ? padId : v))), [2, 5], 'int32'),
  lengths: tf.tensor1d([5, 3], 'int32'),
});

test('on model:gpt, the logits do not depend on the pad token ids, and a padded row equals the row alone', async (t) => {
  for (const causal of [true, false]) {
    for (const pooling of POOLINGS) {
      const { trainer } = await gptTrainer({ causal }, { pooling, pooler: true });
      const batches = [0, 9, 4].map(gptBatch);
      const [ref, ...others] = batches.map((b) => tf.tidy(() => trainer.forward(b, false).logits!.dataSync() as Float32Array));
      for (const o of others) t.deepEqual(o, ref, `causal ${causal}, ${pooling}: bit-identical`);
      // row 1 alone, unpadded: what 'last' must pick is its position length - 1 = 2
      const alone = { inputs: tf.tensor2d([[1, 7, 8]], [1, 3], 'int32') };
      const one = logitsOf(trainer, alone)[0]!;
      t.true(close(one, Array.from(ref!.slice(2, 4)), 1e-5), `causal ${causal}, ${pooling}: ${one} vs ${ref!.slice(2, 4)}`);
      tf.dispose([...batches.flatMap((b) => Object.values(b)), alone.inputs]);
      trainer.dispose();
    }
  }
});

for (const causal of [true, false]) {
  test(`trains end to end on a tiny ${causal ? 'causal GPT (auto = last)' : 'causal: false GPT (auto = first, CLS)'}: loss falls on a separable task`, async (t) => {
    const metric = new AccuracyMetric();
    const { trainer, head } = await gptTrainer({ causal }, {}, [metric], { epochs: 3 });
    t.is(head.pooling, causal ? 'last' : 'first');
    const before = await trainer.evaluate();
    const res = await trainer.fit();
    const after = await trainer.evaluate();
    t.is(res.state.step, 18);
    t.true(after.validation_loss! < before.validation_loss! * 0.5, `loss ${before.validation_loss} -> ${after.validation_loss}`);
    t.true(after.validation_accuracy! >= 0.9, `accuracy ${before.validation_accuracy} -> ${after.validation_accuracy}`);
    trainer.dispose();
  });
}

test('why auto picks last on a causal GPT: there the first position sees only itself, the same for every row', async (t) => {
  const { trainer } = await gptTrainer({ causal: true }, { pooling: 'first' });
  const batch = gptBatch(0);
  const [a, b] = logitsOf(trainer, batch);
  t.deepEqual(a, b);
  tf.dispose(batch);
  trainer.dispose();
});

test.serial('training steps hold the tensor count flat (pooler, hidden layer, dropout)', async (t) => {
  const counts: number[] = [];
  const probe: GraftPlugin = {
    meta: { name: 'callback:count', kind: 'callback' },
    apply: (tr) => tr.tap('afterStep', 'callback:count', () => void counts.push(tf.memory().numTensors), { stage: 'last' }),
  };
  const { trainer } = await gptTrainer({ dropout: 0.1 }, { pooler: true, hidden: [6], dropout: 0.2 }, [probe], { maxSteps: 4 });
  await trainer.fit();
  t.is(counts.length, 4);
  t.true(counts.every((c) => c === counts[0]), `${counts}`);
  trainer.dispose();
});
