import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { SkipGramObjective, sgnsLoss, sgnsLossFromScores, sgnsScores } from '../../../plugins/objectives/index.ts';
import { ToySgd } from '../../helpers/toy.ts';
import { SkipGramModel } from '../../../plugins/models/index.ts';
import { skipGramData, toyCorpus } from '../models/skipGramToy.ts';

const corpus = toyCorpus();
test.before(async () => {
  await tf.setBackend('cpu');
});
test.after.always(() => corpus.remove());

// A vocabulary of 5 words, D = 2. Row 0: centre v = (0.5, -1), context u_o = (1, 0.5), negatives
// (-1, 2) and (0.2, 0.3): scores u_o·v = 0.5 - 0.5 = 0, -0.5 - 2 = -2.5, 0.1 - 0.3 = -0.2.
// Row 1: v = (1, 1), u_o = (2, 0), negatives (0, 0) and (1, -1): scores 2, 0, 0.
const CENTRE = [[0.5, -1], [1, 1]];
const OUTPUTS = [
  [[1, 0.5], [-1, 2], [0.2, 0.3]],
  [[2, 0], [0, 0], [1, -1]],
];
// Row 0: -log σ(0) - log σ(2.5) - log σ(0.2) = ln 2 + ln(1 + e^-2.5) + ln(1 + e^-0.2) = 1.3701757842
// Row 1: -log σ(2) - 2 log σ(0) = ln(1 + e^-2) + 2 ln 2 = 1.5132223722; the loss is their mean.
const ROW0 = 1.3701757842340867;
const ROW1 = 1.5132223721628633;

test('SGNS scores and loss by hand on a tiny vocabulary', (t) => {
  tf.tidy(() => {
    const scores = sgnsScores(tf.tensor2d(CENTRE), tf.tensor3d(OUTPUTS));
    t.deepEqual(scores.shape, [2, 3]);
    const s = scores.arraySync() as number[][];
    [[0, -2.5, -0.2], [2, 0, 0]].forEach((row, i) => row.forEach((v, j) => t.true(Math.abs(s[i]![j]! - v) < 1e-6, `score [${i}, ${j}] = ${s[i]![j]}, expected ${v}`)));
    const one = sgnsLoss(tf.tensor2d([CENTRE[0]!]), tf.tensor3d([OUTPUTS[0]!])).dataSync()[0]!;
    t.true(Math.abs(one - ROW0) < 1e-6, `row 0: ${one} vs ${ROW0}`);
    const both = sgnsLoss(tf.tensor2d(CENTRE), tf.tensor3d(OUTPUTS)).dataSync()[0]!;
    t.true(Math.abs(both - (ROW0 + ROW1) / 2) < 1e-6, `mean over pairs: ${both} vs ${(ROW0 + ROW1) / 2}`);
  });
});

test('the loss stays finite for large scores (softplus, not log of σ)', (t) => {
  const v = tf.tidy(() => sgnsLossFromScores(tf.tensor2d([[-200, 200]])).dataSync()[0]!);
  t.true(Math.abs(v - 400) < 1e-3, String(v));
});

test('the gradient with respect to every vector matches central finite differences', (t) => {
  const centre = tf.tensor2d(CENTRE);
  const outputs = tf.tensor3d(OUTPUTS);
  const [gc, go] = tf.grads((c: tf.Tensor, o: tf.Tensor) => sgnsLoss(c, o))([centre, outputs]);
  const f = (c: number[], o: number[]): number => tf.tidy(() => sgnsLoss(tf.tensor2d(c, [2, 2]), tf.tensor3d(o, [2, 3, 2])).dataSync()[0]!);
  const c0 = Array.from(centre.dataSync());
  const o0 = Array.from(outputs.dataSync());
  const h = 1e-2;
  const check = (which: 'centre' | 'outputs', analytic: Float32Array) => {
    const base = which === 'centre' ? c0 : o0;
    base.forEach((_, i) => {
      const plus = base.slice();
      const minus = base.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const fd = which === 'centre' ? (f(plus, o0) - f(minus, o0)) / (2 * h) : (f(c0, plus) - f(c0, minus)) / (2 * h);
      t.true(Math.abs(fd - analytic[i]!) < 2e-3, `${which}[${i}]: finite difference ${fd}, gradient ${analytic[i]}`);
    });
  };
  check('centre', gc!.dataSync() as Float32Array);
  check('outputs', go!.dataSync() as Float32Array);
  // The closed form at one coordinate: dL/dv_0 of row 0 is (σ(s_o) - 1)·u_o + Σ σ(s_k)·u_k, halved by the mean.
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const closed = ((sig(0) - 1) * 1 + sig(-2.5) * -1 + sig(-0.2) * 0.2) / 2;
  t.true(Math.abs(gc!.dataSync()[0]! - closed) < 1e-6, `closed form ${closed}`);
  tf.dispose([centre, outputs, gc!, go!]);
});

test('the objective reads logits [B, 1 + K] and names what is wrong otherwise', (t) => {
  const obj = new SkipGramObjective();
  tf.tidy(() => {
    const loss = obj.loss({ logits: tf.tensor2d([[0, 2.5, 0.2]].map((r) => [r[0]!, -r[1]!, -r[2]!])) }, { inputs: tf.tensor1d([1], 'int32') });
    t.true(Math.abs(loss.dataSync()[0]! - ROW0) < 1e-6);
    const e = t.throws(() => obj.loss({ features: tf.zeros([2, 2]) }, {}));
    t.regex(e!.message, /logits \[B, 1 \+ K\]/);
    t.throws(() => obj.loss({ logits: tf.zeros([3, 3]) }, { inputs: tf.zeros([2], 'int32') }), { message: /do not match/ });
  });
  t.throws(() => new SkipGramObjective({ x: 1 } as never), { message: /x/ });
});

pluginConformance(test, {
  make: () => new SkipGramObjective(),
  recipe: () => [...skipGramData(corpus.file), new SkipGramModel({ dim: 4 }), new ToySgd(0.5)],
});

