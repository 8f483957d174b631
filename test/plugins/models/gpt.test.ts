import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type Batch, type GraftPlugin, type Tokenizer, type Trainer } from '../../../core/index.ts';
import { GptModel, gptParameterCount, type GptOptions } from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';
import { kernelsRunBy } from '../../helpers/kernelsRun.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 11;

function build(opts: GptOptions = {}, extra: GraftPlugin[] = [], seed = 1, epochs = 1): { trainer: Trainer; model: GptModel } {
  const model = new GptModel({ vocabSize: V, contextLength: 8, nLayers: 2, nHeads: 2, dModel: 8, ...opts });
  const trainer = createTrainer({
    plugins: [model, new LmHead(), new NextTokenObjective(), new ToySgd(0.1), new ToyDataset({ vocab: V, seqLen: 6, batchSize: 3 }), ...extra],
    options: { seed, epochs },
    logger: silentLogger(),
  });
  return { trainer, model };
}

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}

function forwardLogits(trainer: Trainer, rows: number[][], training = false): number[][][] {
  return tf.tidy(() => trainer.forward({ inputs: ids(rows) }, training).logits!.arraySync() as number[][][]);
}

test('shapes: features [B,T,D] and logits [B,T,V], also for T shorter than contextLength', async (t) => {
  const { trainer } = build();
  await trainer.setup();
  for (const T of [8, 3, 1]) {
    tf.tidy(() => {
      const inputs = tf.zeros([2, T], 'int32');
      const out = trainer.forward({ inputs }, false);
      t.deepEqual(out.features!.shape, [2, T, 8]);
      t.deepEqual(out.logits!.shape, [2, T, V]);
    });
  }
  trainer.dispose();
});

test('a sequence longer than contextLength is an error naming the option', async (t) => {
  const { trainer } = build();
  await trainer.setup();
  const inputs = tf.zeros([1, 9], 'int32');
  const err = t.throws(() => trainer.forward({ inputs }, false));
  t.regex(err!.message, /model:gpt.*contextLength.*9/);
  inputs.dispose();
  trainer.dispose();
});

test('causal: a position does not depend on later tokens', async (t) => {
  const { trainer } = build();
  await trainer.setup();
  const a = [3, 1, 4, 1, 5, 9, 2, 6];
  for (const pos of [0, 3, 6]) {
    const b = a.map((v, i) => (i > pos ? (v + 1 + i) % V : v));
    const [la, lb] = [forwardLogits(trainer, [a])[0]!, forwardLogits(trainer, [b])[0]!];
    for (let i = 0; i <= pos; i++) t.deepEqual(la[i], lb[i], `position ${i} changed after editing tokens beyond ${pos}`);
    t.notDeepEqual(la[pos + 1], lb[pos + 1]);
  }
  trainer.dispose();
});

test('causal: false gives a bidirectional encoder (earlier positions see later tokens)', async (t) => {
  const { trainer } = build({ causal: false });
  await trainer.setup();
  const a = [3, 1, 4, 1, 5, 9, 2, 6];
  const b = [...a.slice(0, 7), 0];
  t.notDeepEqual(forwardLogits(trainer, [a])[0]![0], forwardLogits(trainer, [b])[0]![0]);
  trainer.dispose();
});

test('lengths: padded keys get no attention, so real positions ignore the padding', async (t) => {
  const { trainer } = build({ causal: false });
  await trainer.setup();
  const run = (row: number[]) =>
    tf.tidy(() => trainer.forward({ inputs: ids([row]), lengths: tf.tensor1d([5], 'int32') }, false).features!.arraySync() as number[][][]);
  const a = run([3, 1, 4, 1, 5, 0, 0, 0]);
  const b = run([3, 1, 4, 1, 5, 7, 8, 9]);
  for (let i = 0; i < 5; i++) {
    for (let d = 0; d < 8; d++) t.true(Math.abs(a[0]![i]![d]! - b[0]![i]![d]!) < 1e-5);
  }
  trainer.dispose();
});

test('parameter count matches the formula and hand count; names are hierarchical', async (t) => {
  for (const bias of [true, false]) {
    const { trainer, model } = build({ bias, mlpRatio: 4 });
    await trainer.setup();
    // V=11, C=8, D=8, H=32, L=2: embeddings 88+64; per block LN 32, qkv 192(+24), proj 64(+8), fc 256(+32), proj 256(+8); lnF 16
    const perBlock = 32 + 192 + 64 + 256 + 256 + (bias ? 24 + 8 + 32 + 8 : 0);
    const hand = 88 + 64 + 2 * perBlock + 16;
    t.is(model.parameterCount(), hand);
    t.is(gptParameterCount(model.shape), hand);
    t.is(trainer.params.count(), hand); // tied head: no parameter of its own
    const names = trainer.params.names();
    for (const n of [
      'backbone.tokEmbed',
      'backbone.posEmbed',
      'backbone.blocks.0.ln1.gamma',
      'backbone.blocks.0.ln1.beta',
      'backbone.blocks.1.attn.qkv.kernel',
      'backbone.blocks.1.attn.proj.kernel',
      'backbone.blocks.1.ln2.gamma',
      'backbone.blocks.1.mlp.fc.kernel',
      'backbone.blocks.1.mlp.proj.kernel',
      'backbone.lnF.gamma',
      'backbone.lnF.beta',
    ])
      t.true(names.includes(n), n);
    t.is(names.includes('backbone.blocks.0.attn.qkv.bias'), bias);
    t.deepEqual(trainer.params.get('backbone.blocks.0.attn.qkv.kernel').shape, [8, 24]);
    t.deepEqual(trainer.params.get('backbone.blocks.0.mlp.fc.kernel').shape, [8, 32]);
    trainer.dispose();
  }
});

test('GPT-2 init: N(0, initStd), residual projections scaled by 1/sqrt(2*nLayers)', async (t) => {
  const model = new GptModel({ vocabSize: 64, contextLength: 16, nLayers: 2, nHeads: 4, dModel: 64, initStd: 0.02 });
  const trainer = createTrainer({ plugins: [model, new NextTokenObjective(), new ToySgd(), new ToyDataset()], logger: silentLogger() });
  await trainer.setup();
  const std = (name: string) => {
    const v = trainer.params.get(name).dataSync();
    let s = 0;
    for (const x of v) s += x * x;
    return Math.sqrt(s / v.length);
  };
  const near = (a: number, b: number) => Math.abs(a - b) / b < 0.05;
  t.true(near(std('backbone.blocks.0.attn.qkv.kernel'), 0.02));
  t.true(near(std('backbone.blocks.1.mlp.fc.kernel'), 0.02));
  t.true(near(std('backbone.tokEmbed'), 0.02));
  t.true(near(std('backbone.blocks.0.attn.proj.kernel'), 0.01), `${std('backbone.blocks.0.attn.proj.kernel')}`);
  t.true(near(std('backbone.blocks.1.mlp.proj.kernel'), 0.01));
  t.is(std('backbone.blocks.0.attn.qkv.bias'), 0);
  t.deepEqual(Array.from(trainer.params.get('backbone.lnF.gamma').dataSync()), new Array(64).fill(1));
  trainer.dispose();
});

test('bad options name the option: nHeads not dividing dModel, unknown key, missing vocabSize', async (t) => {
  t.throws(() => new GptModel({ dModel: 10, nHeads: 4 }), { message: /model:gpt.*nHeads/ });
  t.throws(() => new GptModel({ layers: 3 } as never), { message: /option "layers"/ });
  t.throws(() => new GptModel({ dropout: 1.5 }), { message: /option "dropout"/ });
  const trainer = createTrainer({ plugins: [new GptModel(), new NextTokenObjective(), new ToySgd(), new ToyDataset()], logger: silentLogger() });
  await t.throwsAsync(trainer.setup(), { message: /model:gpt.*vocabSize/ });
  trainer.dispose();
});

test('vocabSize defaults to the tokenizer\'s, read at build time', async (t) => {
  const tok = { vocabSize: 5 } as Tokenizer;
  const tokenizer = { meta: { name: 'tokenizer:inline', kind: 'tokenizer' }, tokenizer: { ...tok, specials: {} } as Tokenizer, apply() {} };
  const model = new GptModel({ contextLength: 4, nLayers: 1, nHeads: 1, dModel: 4 });
  const trainer = createTrainer({ plugins: [model, tokenizer, new NextTokenObjective(), new ToySgd(), new ToyDataset()], logger: silentLogger() });
  await trainer.setup();
  t.is(model.vocabSize, 5);
  t.deepEqual(trainer.params.get('backbone.tokEmbed').shape, [5, 4]);
  trainer.dispose();
});

test('layerGroups: embeddings, each block, lnF — disjoint, bottom to top, covering every parameter', async (t) => {
  const { trainer, model } = build({ nLayers: 3 });
  await trainer.setup();
  const groups = model.layerGroups();
  t.is(groups.length, 5);
  const seen = new Set<string>();
  const selected = groups.map((g) => trainer.params.select(g));
  for (const names of selected) for (const n of names) {
    t.false(seen.has(n), `${n} in two groups`);
    seen.add(n);
  }
  t.deepEqual([...seen].sort(), trainer.params.names().sort());
  t.deepEqual(selected[0]!.sort(), ['backbone.posEmbed', 'backbone.tokEmbed']);
  t.true(selected[2]!.every((n) => n.startsWith('backbone.blocks.1.')));
  t.deepEqual(selected[4]!.sort(), ['backbone.lnF.beta', 'backbone.lnF.gamma']);
  trainer.dispose();
});

test('dropout is on in training (seeded) and off at evaluation', async (t) => {
  const { trainer } = build({ dropout: 0.3 });
  await trainer.setup();
  const row = [[1, 2, 3, 4, 5, 6]];
  const e1 = forwardLogits(trainer, row, false);
  t.deepEqual(forwardLogits(trainer, row, false), e1);
  const t1 = forwardLogits(trainer, row, true);
  const t2 = forwardLogits(trainer, row, true);
  t.notDeepEqual(t1, e1);
  t.notDeepEqual(t1, t2); // a fresh mask per call
  trainer.dispose();
  // same seed → same dropout masks
  const { trainer: again } = build({ dropout: 0.3 });
  await again.setup();
  t.deepEqual(forwardLogits(again, row, true), t1);
  again.dispose();
});

test('block outputs go through interceptors named backbone.blocks.{i}.attn / .mlp, shaped [B,T,D]', async (t) => {
  const seen: string[] = [];
  const adapter: GraftPlugin = {
    meta: { name: 'adapter:probe', kind: 'adapter' },
    apply(tr) {
      tr.interceptOutput('adapter:probe', 'backbone.blocks.*.*', (x, info) => {
        seen.push(`${info.name} [${x.shape}]`);
        return info.name === 'backbone.blocks.1.mlp' ? tf.zerosLike(x) : x;
      });
    },
  };
  const { trainer } = build({}, [adapter]);
  const { trainer: plain } = build();
  await trainer.setup();
  await plain.setup();
  const row = [[1, 2, 3]];
  const a = forwardLogits(trainer, row);
  t.deepEqual(seen, ['backbone.blocks.0.attn [1,3,8]', 'backbone.blocks.0.mlp [1,3,8]', 'backbone.blocks.1.attn [1,3,8]', 'backbone.blocks.1.mlp [1,3,8]']);
  t.notDeepEqual(a, forwardLogits(plain, row));
  trainer.dispose();
  plain.dispose();
});

test('only intercepted branches are reshaped to [B,T,D]: one interceptor, its branch alone; none, no branch reshapes; same logits', async (t) => {
  const seen: string[] = [];
  const one: GraftPlugin = {
    meta: { name: 'adapter:one', kind: 'adapter' },
    apply(tr) {
      tr.interceptOutput('adapter:one', 'backbone.blocks.1.attn', (x, info) => {
        seen.push(`${info.name} [${x.shape}]`);
        return x;
      });
    },
  };
  const { trainer } = build({}, [one]);
  const { trainer: plain } = build();
  await trainer.setup();
  await plain.setup();
  const ctx = trainer.forwardContext(false);
  t.true(ctx.intercepts!('backbone.blocks.1.attn'));
  t.false(ctx.intercepts!('backbone.blocks.0.attn'));
  t.false(plain.forwardContext(true).intercepts!('backbone.blocks.1.attn'));
  // Reshape kernels of a forward pass: the plain model's are those of the embedding, the head and
  // the features, none for its four branches; an identity interceptor on one branch adds that
  // branch's two.
  const reshapes = (tr: Trainer): number => kernelsRunBy(() => forwardLogits(tr, [[1, 2, 3]])).filter((k) => k === 'Reshape').length;
  const base = reshapes(plain);
  t.is(reshapes(trainer), base + 2);
  t.deepEqual(seen, ['backbone.blocks.1.attn [1,3,8]']);
  t.deepEqual(forwardLogits(trainer, [[1, 2, 3]]), forwardLogits(plain, [[1, 2, 3]]));
  trainer.dispose();
  plain.dispose();
});

test('weights are read through params.read, so parameter transforms apply', async (t) => {
  const { trainer } = build();
  await trainer.setup();
  const row = [[1, 2, 3]];
  const before = forwardLogits(trainer, row);
  trainer.params.addTransform('test', 'backbone.blocks.0.attn.qkv.kernel', (w) => tf.mul(w, 0));
  const after = forwardLogits(trainer, row);
  trainer.params.removeTransforms('test');
  t.notDeepEqual(before, after);
  t.deepEqual(forwardLogits(trainer, row), before);
  trainer.dispose();
});

test('gradient check: analytic gradients match central finite differences (tiny model, float32)', async (t) => {
  const { trainer } = build({ dModel: 8, nHeads: 2, nLayers: 1, dropout: 0, initStd: 0.4 });
  await trainer.setup();
  const ds = trainer.role('dataset');
  const batch: Batch = ds.batches('train', { epoch: 0 }).next().value!;
  const model = trainer.role('model');
  const head = trainer.role('head');
  const objective = trainer.role('objective');
  const ctx = trainer.forwardContext(true);
  const f = () => objective.loss(head.forward(model.forward(batch, ctx), batch, ctx), batch, ctx);
  const entries = trainer.params.trainable();
  const { grads, value } = tf.variableGrads(f, entries.map((e) => e.variable));
  value.dispose();
  const probes: [string, number][] = [
    ['backbone.tokEmbed', 5],
    ['backbone.posEmbed', 9],
    ['backbone.blocks.0.ln1.gamma', 2],
    ['backbone.blocks.0.attn.qkv.kernel', 3], // q
    ['backbone.blocks.0.attn.qkv.kernel', 8 * 24 - 13], // k
    ['backbone.blocks.0.attn.qkv.kernel', 8 * 24 - 1], // v
    ['backbone.blocks.0.attn.proj.kernel', 17],
    ['backbone.blocks.0.attn.proj.bias', 4],
    ['backbone.blocks.0.mlp.fc.kernel', 40],
    ['backbone.blocks.0.mlp.proj.kernel', 100],
    ['backbone.lnF.beta', 1],
  ];
  const eps = 1e-2;
  for (const [name, i] of probes) {
    const v = trainer.params.get(name);
    const analytic = grads[v.name]!.dataSync()[i]!;
    const base = v.dataSync().slice();
    const lossAt = (delta: number) => {
      const w = base.slice();
      w[i] = w[i]! + delta;
      v.assign(tf.tensor(w, v.shape));
      return tf.tidy(() => f().dataSync()[0]!);
    };
    const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    const err = Math.abs(numeric - analytic);
    t.log(`${name}[${i}] analytic ${analytic.toExponential(4)} numeric ${numeric.toExponential(4)}`);
    t.true(err <= 2e-2 * Math.max(Math.abs(numeric), Math.abs(analytic)) + 2e-4, `${name}[${i}]: analytic ${analytic} numeric ${numeric}`);
    t.true(Math.abs(analytic) > 1e-5, `${name}[${i}] has a vanishing gradient, the probe checks nothing`);
  }
  tf.dispose(grads);
  for (const x of Object.values(batch)) x.dispose();
  trainer.dispose();
});

test.serial('training: the toy task is learned, no tensor leaks across steps, dispose frees the cached masks', async (t) => {
  const { trainer } = build({ dropout: 0.1, dModel: 16 }, [], 3, 10);
  (trainer.role('optimizer') as ToySgd).learningRate = 0.5;
  await trainer.setup();
  const before = (await trainer.evaluate()).validation_loss!;
  const counts: number[] = [];
  trainer.tap('afterStep', 'test', () => {
    counts.push(tf.memory().numTensors);
  });
  const { state } = await trainer.fit();
  t.is(state.step, 40);
  const after = (await trainer.evaluate()).validation_loss!;
  t.log(`validation loss ${before} -> ${after}`);
  t.true(after < before * 0.7, `${before} -> ${after}`);
  t.true(counts.every((c) => c === counts[0]), `tensor counts ${[...new Set(counts)]}`);
  const n = tf.memory().numTensors;
  trainer.dispose();
  t.true(tf.memory().numTensors < n);
});
