import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type Trainer } from '../../../core/index.ts';
import { MlmHead, mlmLogits, type MlmHeadOptions } from '../../../plugins/heads/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 3;
const D = 2;

async function build(head: MlmHeadOptions = {}): Promise<Trainer> {
  const trainer = createTrainer({
    plugins: [new GptModel({ vocabSize: V, contextLength: 4, nLayers: 1, nHeads: 1, dModel: D, causal: false }), new MlmHead(head), new NextTokenObjective(), new ToySgd(), new ToyDataset({ vocab: V })],
    logger: silentLogger(),
  });
  await trainer.setup();
  return trainer;
}

// Known weights: transform W [D, D], b [D]; LayerNorm gamma, beta; decoder E [V, D]; output bias [V].
const W = [[1, 0.5], [-1, 2]];
const BT = [0.1, -0.2];
const GAMMA = [1.5, 0.5];
const BETA = [0.1, 0.2];
const E = [[0.3, -0.7], [1.2, 0.4], [-0.5, 0.9]];
const BIAS = [0.3, -0.1, 0];

function setWeights(trainer: Trainer, e = E): void {
  const p = trainer.params;
  p.get('head.mlm.transform.kernel').assign(tf.tensor2d(W));
  p.get('head.mlm.transform.bias').assign(tf.tensor1d(BT));
  p.get('head.mlm.ln.gamma').assign(tf.tensor1d(GAMMA));
  p.get('head.mlm.ln.beta').assign(tf.tensor1d(BETA));
  p.get('head.mlm.bias').assign(tf.tensor1d(BIAS));
  p.get('backbone.tokEmbed').assign(tf.tensor2d(e));
}

/** GELU (tanh form, as GPT-2 and BERT's code): 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** The head's hidden state h = LN(gelu(x W + b)) of one feature vector, by hand. */
function hidden(x: number[]): number[] {
  const a = [0, 1].map((j) => gelu(x[0]! * W[0]![j]! + x[1]! * W[1]![j]! + BT[j]!));
  const mean = (a[0]! + a[1]!) / 2;
  const variance = ((a[0]! - mean) ** 2 + (a[1]! - mean) ** 2) / 2;
  return a.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * GAMMA[j]! + BETA[j]!);
}

/** logits = h Eᵀ + bias. */
const logitsOf = (h: number[], e: number[][]) => e.map((row, v) => row[0]! * h[0]! + row[1]! * h[1]! + BIAS[v]!);

const FEATURES = [[[0.5, -1], [2, 0.25]], [[-0.3, 0.8], [0, 0]]];

function forward(trainer: Trainer, features: number[][][] = FEATURES): number[][][] {
  return tf.tidy(() => trainer.role('head').forward({ features: tf.tensor3d(features) }, {}, trainer.forwardContext(false)).logits!.arraySync() as number[][][]);
}

function close(t: { true(c: boolean, m?: string): void }, a: number[], b: number[], tol = 1e-5): void {
  t.true(a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) < tol), `${a} vs ${b}`);
}

test('parameters: transform, LayerNorm and output bias only (no decoder kernel); layerGroups head.**; logits [B,T,V]', async (t) => {
  const trainer = await build();
  const head = trainer.params.names().filter((n) => n.startsWith('head.')).sort();
  t.deepEqual(head, ['head.mlm.bias', 'head.mlm.ln.beta', 'head.mlm.ln.gamma', 'head.mlm.transform.bias', 'head.mlm.transform.kernel']);
  t.deepEqual(head.map((n) => trainer.params.get(n).shape), [[V], [D], [D], [D], [D, D]]);
  t.deepEqual(Array.from(trainer.params.get('head.mlm.bias').dataSync()), [0, 0, 0]);
  t.deepEqual(trainer.role('head').layerGroups(), ['head.**']);
  t.deepEqual(
    tf.tidy(() => trainer.forward({ inputs: tf.tensor2d([[0, 1, 2], [2, 2, 1]], [2, 3], 'int32') }, false).logits!.shape),
    [2, 3, V],
  );
  trainer.dispose();
});

test('forward equals the hand-computed LN(gelu(xW + b)) Eᵀ + bias on a tiny input', async (t) => {
  const trainer = await build();
  setWeights(trainer);
  const got = forward(trainer);
  FEATURES.forEach((row, b) => row.forEach((x, i) => close(t, got[b]![i]!, logitsOf(hidden(x), E))));
  // the pure function is what the plugin runs
  const direct = tf.tidy(() => mlmLogits(trainer.params, tf.tensor3d(FEATURES), 'backbone.tokEmbed', false).arraySync() as number[][][]);
  t.deepEqual(direct, got);
  // one value written out: x = [0, 0] → gelu(b) = [gelu(0.1), gelu(-0.2)] = [0.05398, -0.08415]; LN → [1, -1]·γ + β
  // = [1.6, -0.3] (eps 1e-5 against a variance of 0.0048 shrinks it by 0.1%)
  close(t, hidden([0, 0]), [1.6, -0.3], 3e-3);
  close(t, got[1]![1]!, [0.3 * 1.6 + 0.7 * 0.3 + 0.3, 1.2 * 1.6 - 0.4 * 0.3 - 0.1, -0.5 * 1.6 - 0.9 * 0.3], 3e-3);
  trainer.dispose();
});

test('the decoder is tied: changing backbone.tokEmbed changes the logits by h·ΔEᵀ, and reads go through params.read', async (t) => {
  const trainer = await build();
  setWeights(trainer);
  const before = forward(trainer);
  const E2 = E.map((row, v) => row.map((x, d) => x + (v + 1) * (d === 0 ? 0.5 : -0.25)));
  trainer.params.get('backbone.tokEmbed').assign(tf.tensor2d(E2));
  const after = forward(trainer);
  FEATURES.forEach((row, b) =>
    row.forEach((x, i) => {
      const h = hidden(x);
      close(t, after[b]![i]!, logitsOf(h, E2));
      // the change is exactly h · (E2 - E)ᵀ: the bias and the transform did not move
      close(t, after[b]![i]!.map((y, v) => y - before[b]![i]![v]!), E2.map((r, v) => (r[0]! - E[v]![0]!) * h[0]! + (r[1]! - E[v]![1]!) * h[1]!));
    }),
  );
  // a transform on the embedding (LoRA-style) reaches the decoder: E·0 leaves only the output bias
  trainer.params.addTransform('test', 'backbone.tokEmbed', (w) => tf.mul(w, 0));
  for (const row of forward(trainer)) for (const l of row) close(t, l, BIAS, 1e-7);
  trainer.dispose();
});

test('gradients reach the tied embedding and the output bias from the head', async (t) => {
  const trainer = await build();
  setWeights(trainer);
  const [emb, bias] = [trainer.params.get('backbone.tokEmbed'), trainer.params.get('head.mlm.bias')];
  const { grads } = tf.variableGrads(() =>
    tf.sum(tf.mul(mlmLogits(trainer.params, tf.tensor3d(FEATURES), 'backbone.tokEmbed', true), tf.tensor1d([1, -2, 0.5]))) as tf.Scalar,
    [emb, bias],
  );
  // d/dbias of Σ logits·c = (number of positions) · c
  close(t, Array.from(grads[bias.name]!.dataSync()), [4, -8, 2]);
  // d/dE[v] = c_v · Σ_positions h
  const hs = FEATURES.flat().map(hidden);
  const hsum = [hs.reduce((s, h) => s + h[0]!, 0), hs.reduce((s, h) => s + h[1]!, 0)];
  close(t, Array.from(grads[emb.name]!.dataSync()), [1, -2, 0.5].flatMap((c) => [c * hsum[0]!, c * hsum[1]!]), 1e-4);
  tf.dispose(grads);
  trainer.dispose();
});

test('a missing or non-matrix embedding is an error naming the option', async (t) => {
  await t.throwsAsync(build({ embedding: 'backbone.nope' }), { message: /head:mlm.*backbone\.nope.*does not exist/ });
  await t.throwsAsync(build({ embedding: 'backbone.lnF.gamma' }), { message: /head:mlm.*found shape \[2\]/ });
  t.throws(() => new MlmHead({ initStd: 0 }), { message: /option "initStd"/ });
});
