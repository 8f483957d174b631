import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, ErrorCodes, silentLogger } from '../../../core/index.ts';
import { ClassifierHead, concatPooling } from '../../../plugins/heads/index.ts';
import { EmbeddingBagModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ParamFreezing } from '../../../plugins/freezing/index.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { ToyClassificationDataset } from '../heads/classificationToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number[], b: number[], tol = 1e-5) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < tol);

async function bagTrainer(model = new EmbeddingBagModel({ vocabSize: 9, dim: 4, embedDropout: 0 }), extra: import('../../../core/index.ts').GraftPlugin[] = [], steps = 6, pooling: ('last' | 'max' | 'mean')[] = ['max', 'mean']) {
  const tr = createTrainer({
    plugins: [model, new ClassifierHead({ pooling, hidden: [], dropouts: [0] }), new ClassificationObjective(), new AdamwOptimizer({ lr: 0.05, weightDecay: 0 }), new ToyClassificationDataset({ vocab: 9 }), ...extra],
    options: { epochs: 1000, maxSteps: steps, seed: 5 },
    logger: silentLogger(),
  });
  await tr.setup();
  return tr;
}

test.serial('features are the words\' rows of backbone.tokEmbed, in order; lengths pass through; uniform ±initRange; no decay', async (t) => {
  const tr = await bagTrainer(new EmbeddingBagModel({ vocabSize: 9, dim: 4, embedDropout: 0.5, initRange: 0.2 }));
  const table = tr.params.get('backbone.tokEmbed');
  t.deepEqual(table.shape, [9, 4]);
  const rows = Array.from(table.dataSync());
  t.true(rows.every((v) => Math.abs(v) <= 0.2) && rows.some((v) => Math.abs(v) > 0.1));
  t.is(tr.params.entry('backbone.tokEmbed').decay, false);
  const model = tr.role('model');
  t.is(model.featureSize, 4);
  t.is(model.vocabSize, 9);
  tf.tidy(() => {
    const ids = tf.tensor2d([[3, 1, 0], [8, 8, 2]], [2, 3], 'int32');
    const lengths = tf.tensor1d([2, 3], 'int32');
    // evaluation: no dropout, the rows themselves
    const o = model.forward({ inputs: ids, lengths }, { training: false, params: tr.params, rng: tr.rng, intercept: (_n: string, x: tf.Tensor) => x });
    const f = o.features!.arraySync() as number[][][];
    [[3, 1, 0], [8, 8, 2]].forEach((r, b) => r.forEach((id, p) => t.deepEqual(f[b]![p], rows.slice(4 * id, 4 * id + 4))));
    t.is(o.lengths, lengths);
  });
  tr.dispose();
});

test.serial('word dropout in training: a dropped word is zero at every occurrence, a kept one scaled by 1/(1-p)', async (t) => {
  const tr = await bagTrainer(new EmbeddingBagModel({ vocabSize: 9, dim: 4, embedDropout: 0.5 }));
  const rows = Array.from(tr.params.get('backbone.tokEmbed').dataSync());
  const model = tr.role('model');
  let dropped = 0;
  let kept = 0;
  for (let k = 0; k < 8; k++) {
    tf.tidy(() => {
      const ids = tf.tensor2d([[5, 5, 5, 6, 6, 6]], [1, 6], 'int32');
      const f = (model.forward({ inputs: ids }, { training: true, params: tr.params, rng: tr.rng, intercept: (_n: string, x: tf.Tensor) => x }).features!.arraySync() as number[][][])[0]!;
      for (const [id, at] of [[5, [0, 1, 2]], [6, [3, 4, 5]]] as const) {
        const vs = at.map((p) => f[p]!);
        t.true(vs.every((v) => close(v, vs[0]!)), 'the same at every occurrence');
        if (vs[0]!.every((x) => x === 0)) dropped++;
        else {
          t.true(close(vs[0]!, rows.slice(4 * id, 4 * id + 4).map((x) => 2 * x)));
          kept++;
        }
      }
    });
  }
  t.true(dropped > 0 && kept > 0, `${dropped} dropped, ${kept} kept`);
  tr.dispose();
});

test.serial('gradients reach the embedding: with the last word pooled it learns the toy task (label = last word mod 3); frozen (freezing:freeze on backbone.tokEmbed) its rows stay as they started', async (t) => {
  const free = await bagTrainer(undefined, [], 200, ['last']);
  const startFree = Array.from(free.params.get('backbone.tokEmbed').dataSync());
  const before = (await free.evaluate('validation')).validation_loss!;
  await free.fit();
  const after = (await free.evaluate('validation')).validation_loss!;
  t.true(after < 0.5 * before, `validation loss ${before} -> ${after}`);
  t.notDeepEqual(Array.from(free.params.get('backbone.tokEmbed').dataSync()), startFree);
  free.dispose();
  const frozen = await bagTrainer(undefined, [new ParamFreezing({ pattern: 'backbone.tokEmbed' })], 10);
  const start = Array.from(frozen.params.get('backbone.tokEmbed').dataSync());
  const head = Array.from(frozen.params.get('head.classifier.0.linear.kernel').dataSync());
  await frozen.fit();
  t.deepEqual(Array.from(frozen.params.get('backbone.tokEmbed').dataSync()), start);
  t.notDeepEqual(Array.from(frozen.params.get('head.classifier.0.linear.kernel').dataSync()), head);
  frozen.dispose();
});

test.serial('bad input and no vocabulary are errors naming the plugin', async (t) => {
  const tr = await bagTrainer();
  const e = t.throws(() => tr.role('model').forward({ inputs: tf.tensor1d([1, 2], 'int32') }, { training: false, params: tr.params, rng: tr.rng, intercept: (_n: string, x: tf.Tensor) => x }), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.DATA);
  t.regex(e!.message, /model:embedding-bag.*int32 token ids \[B, T\]/s);
  tr.dispose();
  const none = createTrainer({ plugins: [new EmbeddingBagModel()], logger: silentLogger() });
  await t.throwsAsync(none.setup(), { message: /no vocabulary size/ });
  none.dispose();
});

test('head:classifier pooling: the parts asked for, in the order last, max, mean, each as in the full concat pooling', (t) => {
  const x = tf.tensor3d([[[1, -2], [3, 0], [100, 100]], [[0, 1], [-1, 5], [2, 2]]]);
  const lengths = tf.tensor1d([2, 3], 'int32');
  const full = tf.tidy(() => concatPooling(x, lengths).arraySync()) as number[][];
  const part = (p: ('last' | 'max' | 'mean')[]) => tf.tidy(() => concatPooling(x, lengths, p).arraySync()) as number[][];
  t.deepEqual(part(['max', 'mean']), full.map((r) => r.slice(2)));
  t.deepEqual(part(['mean', 'last']), full.map((r) => [...r.slice(0, 2), ...r.slice(4)]));
  t.deepEqual(part(['max']), full.map((r) => r.slice(2, 4)));
  const mean = (tf.tidy(() => concatPooling(x, undefined, ['mean']).arraySync()) as number[][]).flat();
  t.true(close(mean, [104 / 3, 98 / 3, 1 / 3, 8 / 3]), `${mean}`);
  tf.dispose([x, lengths]);
  t.throws(() => new ClassifierHead({ pooling: ['max', 'sum'] }), { message: /pooling.*distinct values of last, max, mean/s });
  t.throws(() => new ClassifierHead({ pooling: [] }), { message: /pooling/ });
  t.throws(() => new ClassifierHead({ pooling: ['max', 'max'] }), { message: /pooling/ });
});

test.serial('head:classifier with pooling [max, mean] sizes its first layer 2H', async (t) => {
  const tr = await bagTrainer();
  t.deepEqual(tr.params.get('head.classifier.0.linear.kernel').shape, [8, 3]);
  tr.dispose();
});

pluginConformance(test, {
  make: () => new EmbeddingBagModel({ vocabSize: 9, dim: 4, embedDropout: 0.2 }),
  recipe: () => [new ClassifierHead({ pooling: ['max', 'mean'], hidden: [4], dropouts: [0.1, 0.1] }), new ClassificationObjective(), new ToySgd(0.5), new ToyClassificationDataset({ vocab: 9, batches: 8 })],
  without: false,
});
