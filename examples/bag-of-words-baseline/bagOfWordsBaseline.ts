/**
 * The baselines of the experiments on any labelled source, from the command line: a bag-of-words
 * logistic regression and the majority class, trained on the split (and stratified subsample) that
 * `dataset:labelled-text` makes with the same options, scored by accuracy and macro-F1 on its test
 * split. Arguments are that plugin's options as key=value, plus maxLen (words read per text):
 *
 *   node --import=tsx examples/bag-of-words-baseline/bagOfWordsBaseline.ts trainSize=100 subsampleSeed=1
 *   node --import=tsx examples/bag-of-words-baseline/bagOfWordsBaseline.ts train=my.csv test=my-test.csv labelField=party
 */
import { resolveOptions } from '../../core/index.ts';
import { LabelledTextDataset } from '../../plugins/datasets/labelled-text/LabelledTextDataset.ts';
import { loadLabelledData, type LabelledLoadOptions } from '../../plugins/datasets/labelled-text/loadLabelledData.ts';
import { bagOfWordsBaseline, majorityBaseline } from '../../presets/baselines/index.ts';

const NUMERIC = /^-?\d+(\.\d+)?$/;
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const eq = a.indexOf('=');
    if (eq < 1) throw new Error(`expected key=value, got "${a}"`);
    const v = a.slice(eq + 1);
    return [a.slice(0, eq), NUMERIC.test(v) ? Number(v) : v === 'true' || v === 'false' ? v === 'true' : v];
  }),
);
const input = { source: args.train ? '' : 'npm:spam-assassin', maxLen: 64, ...args };
const o = resolveOptions(LabelledTextDataset.meta.name, LabelledTextDataset.options, input) as unknown as LabelledLoadOptions & { maxLen: number };
const data = loadLabelledData(o, LabelledTextDataset.meta.name);
const { confusion, ...bow } = bagOfWordsBaseline(data, data.train, { maxLen: o.maxLen });
const { confusion: _c, ...majority } = majorityBaseline(data, data.train);
console.log(JSON.stringify({ source: o.source || o.train, classes: data.classes, test: data.test.records.length, maxLen: o.maxLen, bagOfWords: { ...bow, confusion }, majority }));
