import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type Batch, type Trainer } from '../../../core/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { GptModel, gptParameterCount, type GptOptions } from '../../../plugins/models/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

// model:gpt's segment (token-type) embeddings, BERT's: backbone.segEmbed [S, D] added to token +
// position embeddings when segmentVocabSize > 0, rows from batch.segments (segment 0 without them).

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 11;
const IDS = [[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8]];
const SEG = [[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]];

async function build(opts: GptOptions = {}): Promise<{ trainer: Trainer; model: GptModel }> {
  const model = new GptModel({ vocabSize: V, contextLength: 8, nLayers: 2, nHeads: 2, dModel: 8, causal: false, dropout: 0, ...opts });
  const trainer = createTrainer({
    plugins: [model, new LmHead(), new NextTokenObjective(), new ToySgd(0.1), new ToyDataset({ vocab: V, seqLen: 6, batchSize: 2 })],
    options: { seed: 3 },
    logger: silentLogger(),
  });
  await trainer.setup();
  return { trainer, model };
}

function features(trainer: Trainer, segments?: number[][]): Float32Array {
  return tf.tidy(() => {
    const batch: Batch = { inputs: tf.tensor2d(IDS, [2, 6], 'int32') };
    if (segments) batch.segments = tf.tensor2d(segments, [2, 6], 'int32');
    return trainer.forward(batch, false).features!.dataSync() as Float32Array;
  });
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

test('segmentVocabSize 0 (default): no segEmbed, batch.segments ignored (features bit-identical)', async (t) => {
  const { trainer, model } = await build();
  t.false(trainer.params.has('backbone.segEmbed'));
  t.deepEqual(features(trainer, SEG), features(trainer));
  t.is(model.parameterCount(), trainer.params.count());
  trainer.dispose();
});

test('segmentVocabSize > 0: segEmbed [S, D] created last (every other parameter has the init of a model without it); count S·D more', async (t) => {
  const plain = await build();
  const seg = await build({ segmentVocabSize: 3 });
  t.deepEqual(seg.trainer.params.get('backbone.segEmbed').shape, [3, 8]);
  t.deepEqual(seg.trainer.params.names().filter((n) => n !== 'backbone.segEmbed'), plain.trainer.params.names());
  for (const n of plain.trainer.params.names()) t.deepEqual(seg.trainer.params.get(n).dataSync(), plain.trainer.params.get(n).dataSync(), n);
  t.is(seg.model.parameterCount(), plain.model.parameterCount() + 3 * 8);
  t.is(seg.trainer.params.count(), seg.model.parameterCount());
  t.is(gptParameterCount({ ...seg.model.shape, segmentVocabSize: 0 }), plain.model.parameterCount());
  // segEmbed sits in the embeddings' layer group
  t.deepEqual(seg.trainer.params.select(seg.model.layerGroups()[0]!).sort(), ['backbone.posEmbed', 'backbone.segEmbed', 'backbone.tokEmbed']);
  plain.trainer.dispose();
  seg.trainer.dispose();
});

test('segments change the features only when given and S > 0; absent = segment 0; exactly an added embedding row', async (t) => {
  const plain = await build();
  const { trainer } = await build({ segmentVocabSize: 2 });
  const seg = trainer.params.get('backbone.segEmbed');
  // with segEmbed zero the model is the plain one, bit for bit, with or without segments
  seg.assign(tf.zeros([2, 8]));
  t.deepEqual(features(trainer), features(plain.trainer));
  t.deepEqual(features(trainer, SEG), features(plain.trainer));
  // row 0 = r0, row 1 = r1: no segments is the same as all segments 0, and differs from SEG
  const r0 = Array.from({ length: 8 }, (_, d) => 0.05 * (d - 3));
  const r1 = Array.from({ length: 8 }, (_, d) => 0.1 * Math.cos(d));
  seg.assign(tf.tensor2d([r0, r1]));
  t.deepEqual(features(trainer), features(trainer, IDS.map((r) => r.map(() => 0))));
  t.true(maxDiff(features(trainer, SEG), features(trainer)) > 1e-3);
  // adding r0 to every position embedding of the plain model gives the segment-0 features (up to float rounding)
  const pos = plain.trainer.params.get('backbone.posEmbed');
  const pos0 = pos.arraySync() as number[][];
  pos.assign(tf.tensor2d(pos0.map((row) => row.map((x, d) => x + r0[d]!))));
  t.true(maxDiff(features(trainer), features(plain.trainer)) < 1e-5);
  // and a position in segment 1 gets r1 instead: give every position of the plain model r1
  pos.assign(tf.tensor2d(pos0.map((row) => row.map((x, d) => x + r1[d]!))));
  t.true(maxDiff(features(trainer, IDS.map((r) => r.map(() => 1))), features(plain.trainer)) < 1e-5);
  plain.trainer.dispose();
  trainer.dispose();
});

test('segments of the wrong shape or dtype are an error naming segmentVocabSize', async (t) => {
  const { trainer } = await build({ segmentVocabSize: 2 });
  for (const segments of [tf.zeros([2, 5], 'int32'), tf.zeros([2, 6], 'float32')]) {
    const inputs = tf.tensor2d(IDS, [2, 6], 'int32');
    t.throws(() => trainer.forward({ inputs, segments }, false), { message: /model:gpt.*segmentVocabSize.*batch\.segments must be int32/ });
    tf.dispose([inputs, segments]);
  }
  t.throws(() => new GptModel({ segmentVocabSize: -1 }), { message: /option "segmentVocabSize"/ });
  trainer.dispose();
});
