/**
 * How far word identity alone goes on a labelled split: binary bag-of-words logistic regression
 * (L2, full-batch gradient descent) on the first `maxLen` words of each text, trained on the same
 * stratified subsample the transfer-vs-scratch experiment uses (same split and subsample seeds),
 * scored by macro-F1 on the same test split. A yardstick for the classifiers, not a plugin.
 *
 *   node --import=tsx examples/bag-of-words-baseline/bagOfWordsBaseline.ts [size=100] [seed=1] [maxLen=64]
 */
import { resolveOptions } from '../../core/index.ts';
import { loadLabelledData } from '../../plugins/datasets/labelled-text/loadLabelledData.ts';
import { LABELLED_TEXT_OPTIONS } from '../../plugins/datasets/labelled-text/options.ts';

const [size = 100, seed = 1, maxLen = 64] = process.argv.slice(2).map(Number);
const options = resolveOptions('example:bag-of-words', LABELLED_TEXT_OPTIONS, { source: 'npm:spam-assassin', trainSize: size, subsampleSeed: seed });
const data = loadLabelledData(options as Parameters<typeof loadLabelledData>[0], 'example:bag-of-words');
if (data.classes.length !== 2) throw new Error(`expected 2 classes, found ${data.classes.length}`);

const words = (text: string) => (text.toLowerCase().match(/[a-z0-9$!<>]+/g) ?? []).slice(0, maxLen);
const vocab = new Map<string, number>();
for (const r of data.train.records) for (const w of words(r.text)) if (!vocab.has(w)) vocab.set(w, vocab.size);
const features = (text: string) => [...new Set(words(text).flatMap((w) => (vocab.has(w) ? [vocab.get(w)!] : [])))];

const X = data.train.records.map((r) => features(r.text));
const y = Array.from(data.train.labels);
const w = new Float64Array(vocab.size);
let b = 0;
const l2 = 1e-2;
const lr = 0.5;
for (let it = 0; it < 500; it++) {
  const g = new Float64Array(vocab.size);
  let gb = 0;
  X.forEach((xi, i) => {
    const z = xi.reduce((s, j) => s + w[j]!, b);
    const err = 1 / (1 + Math.exp(-z)) - y[i]!;
    gb += err;
    for (const j of xi) g[j] += err;
  });
  for (let j = 0; j < w.length; j++) w[j] -= lr * (g[j]! / X.length + l2 * w[j]!);
  b -= (lr * gb) / X.length;
}

const confusion = [[0, 0], [0, 0]];
data.test.records.forEach((r, i) => {
  const z = features(r.text).reduce((s, j) => s + w[j]!, b);
  confusion[data.test.labels[i]!]![z > 0 ? 1 : 0]++;
});
const f1 = (c: number) => {
  const tp = confusion[c]![c]!;
  return (2 * tp) / (2 * tp + confusion[1 - c]![c]! + confusion[c]![1 - c]!);
};
console.log(JSON.stringify({ size: X.length, seed, maxLen, words: vocab.size, testMacroF1: (f1(0) + f1(1)) / 2, confusion }));
