import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  createTrainer,
  silentLogger,
  type Batch,
  type GraftPlugin,
  type ObjectivePlugin,
  type Outputs,
  type Tokenizer,
  type Trainer,
} from '../../../core/index.ts';
import {
  AwdLstmModel,
  activationRegularization,
  embeddingDropout,
  lockedDropout,
  lstmLayer,
  temporalActivationRegularization,
  type AwdLstmOptionsInput,
} from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { Rng } from '../../../core/index.ts';
import { stackTime, unstackTime } from '../../../plugins/models/awd-lstm/timeSlices.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 13;
const NO_DROPOUT = { embedDropout: 0, inputDropout: 0, hiddenDropout: 0, outputDropout: 0, weightDropout: 0 } as const;

/** loss = Σ features ⊙ P for a fixed pattern P: every feature gets a distinct, known gradient. */
class PatternObjective implements ObjectivePlugin {
  readonly meta = { name: 'objective:pattern', kind: 'objective' } as const;
  apply(): void {}
  loss(out: Outputs): tf.Scalar {
    const f = out.features!;
    const p = tf.reshape(tf.sin(tf.range(0, f.size, 1, 'float32')), f.shape);
    return tf.sum(tf.mul(f, p)) as tf.Scalar;
  }
}

async function makeTrainer(opts: AwdLstmOptionsInput, extra: GraftPlugin[] = [], seed = 5): Promise<{ trainer: Trainer; model: AwdLstmModel }> {
  const model = new AwdLstmModel({ vocabSize: V, embSize: 4, hiddenSize: 6, nLayers: 2, ...opts });
  const trainer = createTrainer({
    plugins: [model, new PatternObjective(), new ToySgd(0), new ToyDataset({ vocab: V, batchSize: 3, seqLen: 5 }), ...extra],
    options: { seed, epochs: 1 },
    logger: silentLogger(),
  });
  await trainer.setup();
  return { trainer, model };
}

function ids(): tf.Tensor2D {
  return tf.tensor2d([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [0, 7, 7, 12, 9]], [3, 5], 'int32');
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Plain-JS LSTM, gates (i, f, g, o) along the 4H axis, zero initial state. */
function referenceLstm(x: number[][][], wih: number[][], whh: number[][], b: number[]): number[][][] {
  const H = whh.length;
  return x.map((seq) => {
    let h = new Array(H).fill(0);
    let c = new Array(H).fill(0);
    return seq.map((xt) => {
      const z = b.map((bj, j) => bj + xt.reduce((s, xi, i) => s + xi * wih[i]![j]!, 0) + h.reduce((s, hk, k) => s + hk * whh[k]![j]!, 0));
      const ig = z.slice(0, H).map(sigmoid);
      const fg = z.slice(H, 2 * H).map(sigmoid);
      const gg = z.slice(2 * H, 3 * H).map(Math.tanh);
      const og = z.slice(3 * H).map(sigmoid);
      c = c.map((cj, j) => fg[j]! * cj + ig[j]! * gg[j]!);
      h = c.map((cj, j) => og[j]! * Math.tanh(cj));
      return h;
    });
  });
}

test('lstmLayer matches a plain-JS LSTM over 2 time steps', (t) => {
  const rng = new Rng(1);
  const r = (n: number) => Array.from({ length: n }, () => rng.next() * 2 - 1);
  const B = 2, T = 2, In = 3, H = 2;
  const x = [0, 1].map(() => [0, 1].map(() => r(In)));
  const wih = [0, 1, 2].map(() => r(4 * H));
  const whh = [0, 1].map(() => r(4 * H));
  const b = r(4 * H);
  const out = tf.tidy(() => lstmLayer(tf.tensor3d(x), { wih: tf.tensor2d(wih), whh: tf.tensor2d(whh), bias: tf.tensor1d(b) }).arraySync()) as number[][][];
  const ref = referenceLstm(x, wih, whh, b);
  t.deepEqual([out.length, out[0]!.length, out[0]![0]!.length], [B, T, H]);
  for (let i = 0; i < B; i++) for (let s = 0; s < T; s++) for (let j = 0; j < H; j++) t.true(Math.abs(out[i]![s]![j]! - ref[i]![s]![j]!) < 1e-6);
});

test('unstackTime / stackTime equal tf.unstack / tf.stack, gradients included', (t) => {
  for (const T of [1, 2, 3, 7, 10, 17, 70]) {
    tf.tidy(() => {
      const x = tf.reshape(tf.range(0, T * 6, 1, 'float32'), [T, 2, 3]);
      const parts = unstackTime(x);
      const ref = tf.unstack(x);
      t.is(parts.length, T);
      parts.forEach((p, i) => t.deepEqual(p.arraySync(), ref[i]!.arraySync()));
      t.deepEqual(stackTime(parts).arraySync(), x.arraySync());
      // d/dx Σ_t (t+1) · x_t through split and re-stack
      const g = tf.grad((v: tf.Tensor) => tf.sum(stackTime(unstackTime(v).map((p, i) => tf.mul(p, i + 1)))))(x);
      const expected = tf.mul(tf.ones([T, 2, 3]), tf.reshape(tf.range(1, T + 1, 1, 'float32'), [T, 1, 1]));
      t.deepEqual(g.arraySync(), expected.arraySync());
    });
  }
});

test('parameters, output shapes and layer groups', async (t) => {
  const { trainer, model } = await makeTrainer({});
  const p = trainer.params;
  t.deepEqual(p.get('backbone.tokEmbed').shape, [V, 4]);
  t.deepEqual(p.get('backbone.rnn.0.wih').shape, [4, 24]);
  t.deepEqual(p.get('backbone.rnn.0.whh').shape, [6, 24]);
  t.deepEqual(p.get('backbone.rnn.0.bias').shape, [24]);
  // the last layer's hidden size is embSize, so a decoder can be tied to the embedding
  t.deepEqual(p.get('backbone.rnn.1.wih').shape, [6, 16]);
  t.deepEqual(p.get('backbone.rnn.1.whh').shape, [4, 16]);
  t.deepEqual(model.layerGroups(), ['backbone.tokEmbed', 'backbone.rnn.0.*', 'backbone.rnn.1.*']);
  t.is(model.featureSize, 4);
  tf.tidy(() => {
    const lengths = tf.tensor1d([5, 3, 4], 'int32');
    for (const training of [false, true]) {
      const out = trainer.forward({ inputs: ids(), lengths }, training);
      t.deepEqual(out.features!.shape, [3, 5, 4]);
      t.deepEqual(out.rawHidden!.shape, [3, 5, 4]);
      t.is(out.lengths, lengths);
    }
  });
  trainer.dispose();
});

test('the vocabulary size comes from the tokenizer when not given', async (t) => {
  const tokenizer: GraftPlugin & { tokenizer: Tokenizer } = {
    meta: { name: 'tokenizer:inline', kind: 'tokenizer' },
    tokenizer: { vocabSize: 17 } as Tokenizer,
    apply() {},
  };
  const model = new AwdLstmModel({ embSize: 4, hiddenSize: 6, nLayers: 1 });
  const trainer = createTrainer({
    plugins: [model, new PatternObjective(), new ToySgd(0), new ToyDataset(), tokenizer],
    logger: silentLogger(),
  });
  await trainer.setup();
  t.deepEqual(trainer.params.get('backbone.tokEmbed').shape, [17, 4]);
  t.is(model.vocabSize, 17);
  trainer.dispose();
});

test('bad or missing options fail naming the option', async (t) => {
  t.throws(() => new AwdLstmModel({ hiddenDropout: 1.5 }), { message: /option "hiddenDropout"/ });
  t.throws(() => new AwdLstmModel({ nLayers: 0 }), { message: /option "nLayers"/ });
  t.throws(() => new AwdLstmModel({ dropout: 0.1 } as never), { message: /option "dropout".*unknown option/ });
  const trainer = createTrainer({
    plugins: [new AwdLstmModel(), new PatternObjective(), new ToySgd(0), new ToyDataset()],
    logger: silentLogger(),
  });
  await t.throwsAsync(() => trainer.setup(), { message: /model:awd-lstm.*option "vocabSize"/ });
  trainer.dispose();
});

test('weight dropout: identity at evaluation, a fresh DropConnect mask in training', async (t) => {
  const { trainer } = await makeTrainer({ ...NO_DROPOUT, weightDropout: 0.5 });
  const p = trainer.params;
  tf.tidy(() => {
    const w = p.get('backbone.rnn.0.whh');
    t.is(p.read('backbone.rnn.0.whh', false), w);
    // training: each entry is 0 or w / (1 - 0.5)
    const wv = w.dataSync();
    const dv = p.read('backbone.rnn.0.whh', true).dataSync();
    let zeros = 0;
    for (let i = 0; i < wv.length; i++) {
      if (dv[i] === 0) zeros++;
      else t.true(Math.abs(dv[i]! - 2 * wv[i]!) < 1e-6);
    }
    t.true(zeros > wv.length * 0.3 && zeros < wv.length * 0.7, `${zeros} of ${wv.length} dropped`);
    // the embedding and input weights are not weight-dropped
    t.is(p.read('backbone.rnn.0.wih', true), p.get('backbone.rnn.0.wih'));

    const e1 = trainer.forward({ inputs: ids() }, false).features!.dataSync();
    const e2 = trainer.forward({ inputs: ids() }, false).features!.dataSync();
    t.deepEqual(e1, e2);
    const t1 = trainer.forward({ inputs: ids() }, true).features!.dataSync();
    const t2 = trainer.forward({ inputs: ids() }, true).features!.dataSync();
    t.notDeepEqual(t1, t2);
    t.notDeepEqual(t1, e1);
  });
  trainer.dispose();
});

test('every dropout is off at evaluation', async (t) => {
  const { trainer } = await makeTrainer({ embedDropout: 0.5, inputDropout: 0.5, hiddenDropout: 0.5, outputDropout: 0.5, weightDropout: 0.5 });
  const { trainer: clean } = await makeTrainer(NO_DROPOUT); // same seed: same initial weights
  tf.tidy(() => {
    const a = trainer.forward({ inputs: ids() }, false).features!.dataSync();
    const b = clean.forward({ inputs: ids() }, false).features!.dataSync();
    t.deepEqual(a, b);
    const c = clean.forward({ inputs: ids() }, true).features!.dataSync();
    t.deepEqual(a, c); // with every rate 0, training changes nothing either
  });
  trainer.dispose();
  clean.dispose();
});

test('locked dropout uses one mask for every time step', (t) => {
  const rng = new Rng(9);
  const out = tf.tidy(() => lockedDropout(tf.ones([4, 6, 5]), 0.5, true, rng).arraySync()) as number[][][];
  let zeros = 0;
  for (const seq of out) {
    for (let s = 1; s < seq.length; s++) t.deepEqual(seq[s], seq[0]);
    for (const v of seq[0]!) {
      t.true(v === 0 || v === 2);
      if (v === 0) zeros++;
    }
  }
  t.true(zeros > 0 && zeros < 20);
  const same = tf.tidy(() => lockedDropout(tf.ones([2, 3, 4]), 0.5, false, rng).dataSync());
  t.true(same.every((v) => v === 1));
});

test('embedding dropout drops whole words, everywhere they occur', (t) => {
  const table = tf.tidy(() => tf.add(tf.reshape(tf.range(0, 40, 1, 'float32'), [10, 4]), 1));
  const tokens = tf.tensor2d([[1, 2, 3, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 6, 7, 8]], [2, 8], 'int32');
  const out = tf.tidy(() => embeddingDropout(table, tokens, 0.5, true, new Rng(4)).arraySync()) as number[][][];
  const tv = table.arraySync() as number[][];
  const seen = new Map<number, boolean>();
  const ti = tokens.arraySync() as number[][];
  let dropped = 0;
  ti.forEach((row, b) =>
    row.forEach((id, s) => {
      const v = out[b]![s]!;
      const kept = v.some((x) => x !== 0);
      if (seen.has(id)) t.is(kept, seen.get(id)!, `word ${id} is dropped at some occurrences only`);
      seen.set(id, kept);
      t.deepEqual(v, kept ? tv[id]!.map((x) => x * 2) : [0, 0, 0, 0]);
      if (!kept) dropped++;
    }),
  );
  t.true(dropped > 0 && dropped < 16);
  const evalOut = tf.tidy(() => embeddingDropout(table, tokens, 0.5, false, new Rng(4)).arraySync()) as number[][][];
  t.deepEqual(evalOut[0]![0], tv[1]);
  tf.dispose([table, tokens]);
});

test('AR and TAR against hand computation', (t) => {
  // h [1, 3, 2]: steps (1, 2), (3, 5), (4, 4)
  const raw = tf.tensor3d([[[1, 2], [3, 5], [4, 4]]]);
  // AR: mean of squares (1+4+9+25+16+16)/6 = 71/6, times alpha 2
  t.true(Math.abs(activationRegularization(raw, 2).dataSync()[0]! - 71 / 3) < 1e-5);
  // TAR: differences (2, 3), (1, -1): mean of squares (4+9+1+1)/4 = 3.75, times beta 0.5
  t.true(Math.abs(temporalActivationRegularization(raw, 0.5).dataSync()[0]! - 1.875) < 1e-6);
  t.is(temporalActivationRegularization(tf.ones([2, 1, 3]), 1).dataSync()[0], 0);
  raw.dispose();
});

// A head that passes on only `features`: AR/TAR read the model's own outputs (ctx.modelOutputs), not the head's.
const stripHead = { meta: { name: 'head:strip', kind: 'head' }, apply() {}, forward: (o: { features?: tf.Tensor }) => ({ features: o.features! }), layerGroups: () => [] } as unknown as GraftPlugin;
for (const head of [undefined, stripHead]) test(`onLoss adds alpha * AR + beta * TAR to the training loss${head ? ' (a head that passes nothing through)' : ''}`, async (t) => {
  const alpha = 2, beta = 3;
  const losses: number[] = [];
  const capture: GraftPlugin = {
    meta: { name: 'callback:capture', kind: 'callback' },
    apply: (tr) => tr.tap('afterStep', 'callback:capture', async (ctx) => { losses.push((await ctx.loss!.data())[0]!); }),
  };
  const { trainer } = await makeTrainer({ ...NO_DROPOUT, alpha, beta }, head ? [head, capture] : [capture]);
  // expected loss of the first training batch, from the eval forward (no dropout: identical)
  const batch: Batch = trainer.role('dataset').batches('train', { epoch: 0 }).next().value!;
  const expected = tf.tidy(() => {
    const h = trainer.forward(batch, false).features!;
    const [B, T, H] = h.shape as [number, number, number];
    const hv = h.arraySync() as number[][][];
    const pattern = Array.from({ length: B * T * H }, (_, i) => Math.sin(i));
    let base = 0, ar = 0, tar = 0;
    for (let b = 0; b < B; b++)
      for (let s = 0; s < T; s++)
        for (let j = 0; j < H; j++) {
          const v = hv[b]![s]![j]!;
          base += v * pattern[(b * T + s) * H + j]!;
          ar += v * v;
          if (s > 0) tar += (v - hv[b]![s - 1]![j]!) ** 2;
        }
    return base + (alpha * ar) / (B * T * H) + (beta * tar) / (B * (T - 1) * H);
  });
  tf.dispose(Object.values(batch));
  await trainer.fit(); // lr 0: every step sees the same weights; the first batch is the one above
  t.true(Math.abs(losses[0]! - expected) < 1e-4, `${losses[0]} vs ${expected}`);
  trainer.dispose();
});

test('gradients match finite differences', async (t) => {
  const { trainer } = await makeTrainer({ ...NO_DROPOUT, alpha: 0, beta: 0 });
  const p = trainer.params;
  const batch = { inputs: ids() };
  const objective = new PatternObjective();
  const lossOf = () => tf.tidy(() => objective.loss(trainer.forward(batch, true)).dataSync()[0]!);
  const names = ['backbone.rnn.0.whh', 'backbone.rnn.1.wih', 'backbone.rnn.0.bias', 'backbone.tokEmbed'];
  const { grads, value } = tf.variableGrads(() => objective.loss(trainer.forward(batch, true)), names.map((n) => p.get(n)));
  value.dispose();
  const byName = new Map(names.map((n) => [n, grads[p.get(n).name]!.dataSync()]));
  // probe each parameter's largest gradient entry (small ones drown in float32 rounding)
  const argmaxAbs = (g: ArrayLike<number>) => Array.from(g).reduce((best, v, i, a) => (Math.abs(v) > Math.abs(a[best]!) ? i : best), 0);
  for (const name of names) {
    const i = argmaxAbs(byName.get(name)!);
    const v = p.get(name);
    const orig = v.dataSync().slice();
    const eps = 1e-2;
    const at = (d: number) => {
      const w = orig.slice();
      w[i] = w[i]! + d;
      v.assign(tf.tensor(w, v.shape));
      return lossOf();
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(orig, v.shape));
    const g = byName.get(name)![i]!;
    t.true(Math.abs(fd - g) < 2e-3 + 2e-2 * Math.abs(g), `${name}[${i}]: analytic ${g}, numeric ${fd}`);
    t.true(Math.abs(g) > 1e-4, `${name}[${i}] has a gradient`);
  }
  tf.dispose(grads);
  batch.inputs.dispose();
  trainer.dispose();
});

test('weight-dropout random state round-trips through getState/setState', async (t) => {
  const { trainer, model } = await makeTrainer({ ...NO_DROPOUT, weightDropout: 0.5 });
  const saved = model.getState();
  const a = tf.tidy(() => trainer.params.read('backbone.rnn.0.whh', true).dataSync());
  model.setState(saved);
  const b = tf.tidy(() => trainer.params.read('backbone.rnn.0.whh', true).dataSync());
  t.deepEqual(a, b);
  trainer.dispose();
});

test('a run resumed from a checkpoint continues exactly (dropout and DropConnect masks included)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-awd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const recipe = (maxSteps: number) => ({
    plugins: [
      new AwdLstmModel({ vocabSize: V, embSize: 4, hiddenSize: 6, nLayers: 2, embedDropout: 0.2, weightDropout: 0.5 }),
      new PatternObjective(),
      new ToySgd(0.05),
      new ToyDataset({ vocab: V, batchSize: 3, seqLen: 5, batches: 4 }),
    ],
    options: { seed: 8, epochs: 2, maxSteps },
    logger: silentLogger(),
  });
  const straight = createTrainer(recipe(0));
  await straight.fit();
  const first = createTrainer(recipe(3));
  await first.fit();
  await first.save(dir);
  first.dispose();
  const resumed = createTrainer(recipe(0));
  await resumed.resume(dir);
  await resumed.fit();
  t.is(resumed.state.step, 8);
  for (const name of straight.params.names()) t.deepEqual(resumed.params.get(name).dataSync(), straight.params.get(name).dataSync(), name);
  straight.dispose();
  resumed.dispose();
});

test.serial('training steps hold the tensor count flat', async (t) => {
  const counts: number[] = [];
  const probe: GraftPlugin = {
    meta: { name: 'callback:count', kind: 'callback' },
    apply: (tr) => tr.tap('afterStep', 'callback:count', () => { counts.push(tf.memory().numTensors); }, { stage: 'last' }),
  };
  const { trainer } = await makeTrainer({}, [probe]);
  await trainer.fit();
  t.is(counts.length, 4);
  t.true(counts.every((c) => c === counts[0]), `${counts}`);
  trainer.dispose();
});

test('with the tied head:lm, the toy next-token task is learned', async (t) => {
  const trainer = createTrainer({
    plugins: [
      new AwdLstmModel({ vocabSize: 11, embSize: 16, hiddenSize: 24, nLayers: 2, ...NO_DROPOUT, weightDropout: 0.1, alpha: 0, beta: 0 }),
      new LmHead(),
      new NextTokenObjective(),
      new AdamwOptimizer({ lr: 0.03, weightDecay: 0 }),
      new ToyDataset({ vocab: 11, batches: 8 }),
    ],
    options: { seed: 1, epochs: 4 },
    logger: silentLogger(),
  });
  await trainer.setup();
  const before = (await trainer.evaluate()).validation_loss!;
  await trainer.fit();
  const after = (await trainer.evaluate()).validation_loss!;
  t.true(after < before * 0.5, `${before} -> ${after}`);
  trainer.dispose();
});
