import test from 'ava';
import { accuracyTable, perSeedTable } from '../../presets/transfer-vs-scratch/resultsTable.ts';
import { aggregate, type RunRecord } from '../../presets/transfer-vs-scratch/aggregate.ts';
import { pairedVerdict, tQuantile975 } from '../../presets/transfer-vs-scratch/pairedVerdict.ts';
import { bagOfWordsBaseline, buildVocabulary, featuresOf, fitLogistic, logits, majorityBaseline, predictClass, scorePredictions, words } from '../../presets/baselines/index.ts';
import type { LabelledSplit } from '../../plugins/datasets/labelled-text/loadLabelledData.ts';

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, eps = 1e-12) => t.true(Math.abs(a - b) <= eps, `${a} vs ${b}`);

const split = (rows: [string, number][]): LabelledSplit => ({
  records: rows.map(([text], i) => ({ text, label: String(rows[i]![1]), file: 'x', line: i + 1 })),
  labels: Int32Array.from(rows, (r) => r[1]),
});

test('words: lower-cased, first maxLen, letters of any script and digits', (t) => {
  t.deepEqual(words('Free MONEY!! now, 100$ café', 10), ['free', 'money!!', 'now', '100$', 'café']);
  t.deepEqual(words('a b c d', 2), ['a', 'b']);
  const vocab = buildVocabulary(['b a', 'c a'], 5);
  t.deepEqual([...vocab], [['b', 0], ['a', 1], ['c', 2]]);
  t.deepEqual(featuresOf('a a zzz c', vocab, 5), [1, 2]);
});

test('fitLogistic: one gradient step by hand', (t) => {
  // Two examples, two features, two classes; from zero weights softmax is [0.5, 0.5].
  // x0 = {0}, y0 = 0: p − onehot = [−0.5, 0.5]; x1 = {1}, y1 = 1: [0.5, −0.5].
  // mean gradient: W[0] = [−0.25, 0.25], W[1] = [0.25, −0.25], bias [0, 0]; step lr = 0.4 (no decay on zeros).
  const m = fitLogistic([[0], [1]], [0, 1], 2, 2, { l2: 0.1, lr: 0.4, iterations: 1 });
  t.deepEqual(Array.from(m.weights), [0.1, -0.1, -0.1, 0.1]);
  t.deepEqual(Array.from(m.bias), [0, 0]);
  // The second step feels the L2 term: W00 −= 0.4 · (g + 0.1 · 0.1). Softmax of [0.1, −0.1] for x0.
  const m2 = fitLogistic([[0], [1]], [0, 1], 2, 2, { l2: 0.1, lr: 0.4, iterations: 2 });
  const p0 = 1 / (1 + Math.exp(-0.2));
  close(t, m2.weights[0]!, 0.1 - 0.4 * ((p0 - 1) / 2 + 0.1 * 0.1));
  t.deepEqual(Array.from(logits(m2, [0])).map((v) => v > 0), [true, false]);
  t.is(predictClass(m2, [1]), 1);
  t.is(predictClass(m2, []), 0); // a tie goes to the lowest id
});

test('bag-of-words baseline separates a task words decide, scored on the test split', (t) => {
  const train = split([
    ['win cash now', 1],
    ['cash prize win', 1],
    ['meeting at noon', 0],
    ['lunch meeting today', 0],
  ]);
  const data = { classes: ['ham', 'spam'], test: split([['free cash', 1], ['the meeting', 0], ['win', 1]]) };
  const b = bagOfWordsBaseline(data, train, { maxLen: 8 });
  t.is(b.examples, 4);
  t.is(b.vocabulary, 9);
  t.deepEqual(b.confusion, [[1, 0], [0, 2]]);
  t.is(b.accuracy, 1);
  t.is(b.f1, 1);
});

test('majority baseline: the training labels decide the class; scores on the test split by hand', (t) => {
  const data = { classes: ['a', 'b', 'c'], test: split([['x', 0], ['y', 1], ['z', 1], ['w', 2]]) };
  const m = majorityBaseline(data, { labels: Int32Array.from([1, 1, 0]) });
  t.deepEqual(m.confusion, [[0, 1, 0], [0, 2, 0], [0, 1, 0]]);
  t.is(m.accuracy, 0.5);
  // Class b: precision 2/4, recall 1 → F1 2/3; a and c score 0 (they occur in the labels) → macro 2/9.
  close(t, m.f1, 2 / 9);
  t.deepEqual(scorePredictions([0, 1], [1, 1], 2, 7).confusion, [[0, 1], [0, 1]]);
});

test('pairedVerdict: the 95% interval of the mean difference by hand', (t) => {
  t.is(tQuantile975(2), 4.303);
  t.is(tQuantile975(100), 1.96);
  t.throws(() => tQuantile975(0), { instanceOf: RangeError });
  // [0.02, 0.04, 0.06]: mean 0.04, std 0.02, half-width 4.303 · 0.02 / √3 = 0.049687.
  const v = pairedVerdict([0.02, 0.04, 0.06]);
  t.is(v.verdict, 'within noise');
  close(t, v.low, 0.04 - (4.303 * 0.02) / Math.sqrt(3));
  close(t, v.high, 0.04 + (4.303 * 0.02) / Math.sqrt(3));
  // The same mean with a tighter spread is beyond the noise; mirrored, scratch is ahead.
  t.is(pairedVerdict([0.035, 0.04, 0.045]).verdict, 'transfer ahead');
  t.is(pairedVerdict([-0.035, -0.04, -0.045]).verdict, 'scratch ahead');
  t.is(pairedVerdict([0.3]).verdict, 'one seed');
  t.is(pairedVerdict([]).verdict, 'one seed');
});

test('tables: baselines next to the classifiers, accuracy apart, every run with one-class runs flagged', (t) => {
  const runs: RunRecord[] = [
    { variant: 'scratch', size: 10, examples: 10, seed: 1, f1: 0.4, accuracy: 0.7, collapsed: true },
    { variant: 'transfer', size: 10, examples: 10, seed: 1, f1: 0.6, accuracy: 0.75 },
    { variant: 'bag-of-words', size: 10, examples: 10, seed: 1, f1: 0.65, accuracy: 0.8 },
    { variant: 'majority', size: 10, examples: 10, seed: 1, f1: 0.41, accuracy: 0.7, collapsed: true },
    { variant: 'scratch', size: 10, examples: 10, seed: 2, f1: 0.5, accuracy: 0.72 },
    { variant: 'transfer', size: 10, examples: 10, seed: 2, f1: 0.62, accuracy: 0.77 },
    { variant: 'bag-of-words', size: 10, examples: 10, seed: 2, f1: 0.63, accuracy: 0.78 },
    { variant: 'majority', size: 10, examples: 10, seed: 2, f1: 0.41, accuracy: 0.7, collapsed: true },
  ];
  const rows = aggregate(runs);
  close(t, rows[0]!.bagOfWords.f1.mean, 0.64);
  close(t, rows[0]!.majority.accuracy.mean, 0.7);
  t.deepEqual(rows[0]!.collapsed, { scratch: 1, transfer: 0 });
  t.is(accuracyTable(rows).trim().split('\n')[2], '| 10 | 0.700 ± 0.000 | 0.790 ± 0.014 | 0.710 ± 0.014 | 0.760 ± 0.014 |');
  const per = perSeedTable(rows, runs).trim().split('\n');
  t.is(per.length, 2 + 2);
  // The majority baseline always predicts one class: only a trained run is flagged.
  t.is(per[2], '| 10 | 1 | 0.410 / 0.700 | 0.650 / 0.800 | 0.400 / 0.700 **one class** | 0.600 / 0.750 |');
  t.is(per[3], '| 10 | 2 | 0.410 / 0.700 | 0.630 / 0.780 | 0.500 / 0.720 | 0.620 / 0.770 |');
});
