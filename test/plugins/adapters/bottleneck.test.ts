import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { disposeBatch, GraftError, ParameterStore } from '../../../core/index.ts';
import { BottleneckAdapter, houlsbyAdapter, houlsbyParameterCount } from '../../../plugins/adapters/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { logits, maxDiff, snapshot, toyBatch, toyTrainer } from './helpers.ts';

const PREFIX = 'adapter.bottleneck.backbone.proj';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** GELU, tanh approximation, in float64. */
function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

test('houlsbyAdapter computes x + up(gelu(down(x))) (hand-checked)', (t) => {
  const p = new ParameterStore();
  p.create('ad.down.kernel', [2, 1], Float32Array.from([1, 2]));
  p.create('ad.down.bias', [1], Float32Array.from([0.5]));
  p.create('ad.up.kernel', [1, 2], Float32Array.from([1, -1]));
  p.create('ad.up.bias', [2], Float32Array.from([0.1, 0.2]));
  const x = tf.tensor3d([1, -1, 0.3, 0.7], [1, 2, 2]);
  const y = houlsbyAdapter(p, 'ad', x, false);
  t.deepEqual(y.shape, [1, 2, 2]);
  const want: number[] = [];
  for (const [a, b] of [[1, -1], [0.3, 0.7]] as const) {
    const g = gelu(a * 1 + b * 2 + 0.5); // down
    want.push(a + g * 1 + 0.1, b + g * -1 + 0.2); // x + up
  }
  t.true(maxDiff(y.dataSync(), want) < 1e-5, `${y.dataSync()} vs ${want}`);
  tf.dispose([x, y]);
  p.dispose();
  t.is(houlsbyParameterCount(8, 4), 2 * 8 * 4 + 4 + 8);
});

test.serial('inserted on the named module output, the adapter is the identity at init', async (t) => {
  const adapter = new BottleneckAdapter({ pattern: 'backbone.proj', size: 4 });
  const tr = toyTrainer([adapter]);
  const plain = toyTrainer();
  await tr.setup();
  await plain.setup();
  t.deepEqual(adapter.adapted, [{ name: 'backbone.proj', dim: 8, prefix: PREFIX }]);
  t.deepEqual(tr.params.get(`${PREFIX}.down.kernel`).shape, [8, 4]);
  t.deepEqual(tr.params.get(`${PREFIX}.up.kernel`).shape, [4, 8]);
  const batch = toyBatch();
  t.deepEqual(logits(tr, batch), logits(plain, batch));
  disposeBatch(batch);
  tr.dispose();
  plain.dispose();
});

test.serial('the adapter is in the forward path: a non-zero up projection changes the outputs as the formula says', async (t) => {
  const tr = toyTrainer([new BottleneckAdapter({ pattern: 'backbone.proj', size: 4 })]);
  const plain = toyTrainer();
  await tr.setup();
  await plain.setup();
  tr.params.get(`${PREFIX}.up.bias`).assign(tf.fill([8], 0.25));
  // With up.kernel = 0 the adapter adds up.bias to the features: logits move by 0.25 * column sums of head.out.kernel.
  const batch = toyBatch();
  const shift = tf.tidy(() => tf.sum(tf.mul(tr.params.get('head.out.kernel'), 0.25), 0)).dataSync();
  const base = logits(plain, batch);
  const got = logits(tr, batch);
  const want = Array.from(base, (v, i) => v + shift[i % 11]!);
  t.true(maxDiff(got, want) < 1e-5);
  disposeBatch(batch);
  tr.dispose();
  plain.dispose();
});

test.serial('training changes only the adapter parameters; the trainable count is the formula', async (t) => {
  const tr = toyTrainer([new BottleneckAdapter({ pattern: 'backbone.proj', size: 4 })], 4);
  await tr.setup();
  t.is(tr.params.count({ trainableOnly: true }), houlsbyParameterCount(8, 4));
  const before = snapshot(tr);
  await tr.fit();
  const after = snapshot(tr);
  for (const n of Object.keys(before)) {
    if (n.startsWith(PREFIX)) t.notDeepEqual(after[n], before[n], `${n} learned`);
    else t.deepEqual(after[n], before[n], `${n} unchanged`);
  }
  tr.dispose();
});

test.serial('alsoTrain keeps the listed parameters trainable', async (t) => {
  const tr = toyTrainer([new BottleneckAdapter({ pattern: 'backbone.proj', size: 2, alsoTrain: ['head.**'] })]);
  await tr.setup();
  t.is(tr.params.count({ trainableOnly: true }), houlsbyParameterCount(8, 2) + 8 * 11 + 11);
  tr.dispose();
});

test.serial('a pattern matching no module output is an error naming the option and listing the outputs', async (t) => {
  const tr = toyTrainer([new BottleneckAdapter({})]);
  await t.throwsAsync(tr.setup(), { instanceOf: GraftError, message: /option "pattern": pattern "backbone\.blocks\.\*\.mlp" matches no module output.*The model marks: backbone\.proj/ });
  tr.dispose();
});

test('bad option values are errors naming the option', (t) => {
  t.throws(() => new BottleneckAdapter({ size: 0 }), { message: /option "size"/ });
  t.throws(() => new BottleneckAdapter({ pattern: 3 as never }), { message: /option "pattern"/ });
  t.throws(() => new BottleneckAdapter({ alsoTrain: 'head.**' as never }), { message: /option "alsoTrain"/ });
});

pluginConformance(test, {
  make: () => new BottleneckAdapter({ pattern: 'backbone.proj', size: 4 }),
});
