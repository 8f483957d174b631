import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type Trainer } from '../../../core/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { LmHead, lmLogits, type LmHeadOptions } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

async function build(head: LmHeadOptions): Promise<Trainer> {
  const trainer = createTrainer({
    plugins: [new GptModel({ vocabSize: 7, contextLength: 4, nLayers: 1, nHeads: 1, dModel: 3 }), new LmHead(head), new NextTokenObjective(), new ToySgd(), new ToyDataset({ vocab: 7 })],
    logger: silentLogger(),
  });
  await trainer.setup();
  return trainer;
}

/** features · W by hand: [B,T,D] × [D,V]. */
function byHand(f: number[][][], w: (d: number, v: number) => number, V: number, bias: number[] = []): number[][][] {
  return f.map((row) => row.map((x) => Array.from({ length: V }, (_, v) => x.reduce((s, xd, d) => s + xd * w(d, v), bias[v] ?? 0))));
}

function close(t: { true(c: boolean, m?: string): void }, a: number[][][], b: number[][][]): void {
  const fa = a.flat(2);
  const fb = b.flat(2);
  t.true(fa.length === fb.length && fa.every((x, i) => Math.abs(x - fb[i]!) < 1e-5), `${fa.slice(0, 4)} vs ${fb.slice(0, 4)}`);
}

test('tied: logits = features @ tokEmbed^T, no parameter of its own, no layer group', async (t) => {
  const trainer = await build({});
  t.false(trainer.params.names().some((n) => n.startsWith('head.')));
  t.deepEqual(trainer.role('head').layerGroups(), []);
  const E = trainer.params.get('backbone.tokEmbed').arraySync() as number[][];
  const features = [[[0.5, -1, 2], [1, 0, 0]]];
  const logits = tf.tidy(() => trainer.role('head').forward({ features: tf.tensor3d(features) }, {}, trainer.forwardContext(false)).logits!.arraySync() as number[][][]);
  close(t, logits, byHand(features, (d, v) => E[v]![d]!, 7));
  trainer.dispose();
});

test('tied: the embedding is read through params.read (transforms apply)', async (t) => {
  const trainer = await build({});
  trainer.params.addTransform('test', 'backbone.tokEmbed', (w) => tf.mul(w, 0));
  const logits = tf.tidy(() => trainer.role('head').forward({ features: tf.ones([1, 2, 3]) }, {}, trainer.forwardContext(false)).logits!.dataSync());
  t.true(logits.every((x) => x === 0));
  trainer.dispose();
});

test('untied: own head.lm.kernel [D,V] and bias, shapes inferred from the embedding; passes other outputs along', async (t) => {
  const trainer = await build({ tied: false, bias: true });
  t.deepEqual(trainer.params.get('head.lm.kernel').shape, [3, 7]);
  t.deepEqual(trainer.params.get('head.lm.bias').shape, [7]);
  t.deepEqual(trainer.role('head').layerGroups(), ['head.**']);
  trainer.params.get('head.lm.bias').assign(tf.range(0, 7));
  const W = trainer.params.get('head.lm.kernel').arraySync() as number[][];
  const features = [[[0.5, -1, 2]], [[1, 2, 3]]];
  const out = tf.tidy(() => {
    const o = trainer.role('head').forward({ features: tf.tensor3d(features), extra: tf.scalar(1) }, {}, trainer.forwardContext(false));
    return { logits: o.logits!.arraySync() as number[][][], keys: Object.keys(o).sort() };
  });
  t.deepEqual(out.keys, ['extra', 'features', 'logits']);
  close(t, out.logits, byHand(features, (d, v) => W[d]![v]!, 7, [0, 1, 2, 3, 4, 5, 6]));
  trainer.dispose();
});

test('untied without an embedding to read: the input size is the model\'s typed featureSize, not its options', async (t) => {
  class WideGpt extends GptModel {
    override get featureSize(): number {
      return 5;
    }
  }
  const trainer = createTrainer({
    plugins: [new WideGpt({ vocabSize: 7, contextLength: 4, nLayers: 1, nHeads: 1, dModel: 3 }), new LmHead({ tied: false, embedding: 'backbone.none', vocabSize: 7 }), new NextTokenObjective(), new ToySgd(), new ToyDataset({ vocab: 7 })],
    logger: silentLogger(),
  });
  await trainer.setup();
  t.deepEqual(trainer.params.get('head.lm.kernel').shape, [5, 7]);
  trainer.dispose();
});

test('lmLogits works on 2-D features too', (t) => {
  const y = tf.tidy(() => lmLogits(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0], [0, 1], [1, 1]]), true).arraySync());
  t.deepEqual(y, [[1, 2, 3]]);
});

test('bad options: a tied head with a bias, an unknown embedding name', async (t) => {
  t.throws(() => new LmHead({ tied: true, bias: true }), { message: /head:lm.*option "bias"/ });
  t.throws(() => new LmHead({ tie: true } as never), { message: /option "tie"/ });
  const trainer = createTrainer({
    plugins: [new GptModel({ vocabSize: 7, contextLength: 4, nLayers: 1, nHeads: 1, dModel: 3 }), new LmHead({ embedding: 'backbone.nope' }), new NextTokenObjective(), new ToySgd(), new ToyDataset()],
    logger: silentLogger(),
  });
  await t.throwsAsync(trainer.setup(), { message: /head:lm.*option "embedding".*backbone\.nope/ });
  trainer.dispose();
});
