import test from 'ava';
import { resolveOptions } from '../../../core/index.ts';
import { LabelledTextDataset } from '../../../plugins/datasets/labelled-text/LabelledTextDataset.ts';
import { groupedSplit, loadLabelledData, preflightLabelled, type LabelledLoadOptions } from '../../../plugins/datasets/labelled-text/loadLabelledData.ts';
import { passages } from '../../../plugins/datasets/shared/passages.ts';

test('passages: whole sentences of at least minWords words; a short tail joins the last passage', (t) => {
  const text = 'One two three. Four five! Six seven eight? Nine.';
  t.deepEqual(passages(text, 3), ['One two three.', 'Four five! Six seven eight? Nine.']);
  t.deepEqual(passages(text, 100), [text]);
  // An abbreviation before a capital splits a sentence, but the passage still holds minWords words.
  t.deepEqual(passages('Mr. Speaker, we met. It rained today here.', 4), ['Mr. Speaker, we met.', 'It rained today here.']);
  t.deepEqual(passages('', 5), []);
});

test('groupedSplit: a group never straddles two splits; fractions count groups, stratified by label', (t) => {
  // 10 groups of 3 examples, labels alternate by group.
  const recs = Array.from({ length: 30 }, (_, i) => ({ group: `g${Math.floor(i / 3)}` }));
  const labels = Int32Array.from(recs, (_, i) => Math.floor(i / 3) % 2);
  const s = groupedSplit(recs, labels, 2, { validation: 0.2, test: 0.2 }, 7);
  const groupsOf = (idx: Int32Array) => new Set(Array.from(idx, (i) => recs[i]!.group));
  const [tr, va, te] = [groupsOf(s.train), groupsOf(s.validation), groupsOf(s.test)];
  t.is(tr.size + va.size + te.size, 10);
  for (const g of va) t.false(tr.has(g) || te.has(g));
  for (const g of te) t.false(tr.has(g));
  t.is(te.size, 2); // round(5 · 0.2) groups of each class
  t.is(va.size, 2);
  t.is(s.train.length + s.validation.length + s.test.length, 30);
  t.deepEqual(Array.from(s.test).map((i) => labels[i]).sort(), [0, 0, 0, 1, 1, 1]);
  // Deterministic in the seed.
  t.deepEqual(groupedSplit(recs, labels, 2, { validation: 0.2, test: 0.2 }, 7), s);
});

test('npm:sotu-party: passages of 1900+ Democratic/Republican addresses, split by speech', (t) => {
  const o = resolveOptions(LabelledTextDataset.meta.name, LabelledTextDataset.options, { source: 'npm:sotu-party' }) as unknown as LabelledLoadOptions;
  t.deepEqual(preflightLabelled(o, 'test').classes, ['Democratic', 'Republican']);
  const d = loadLabelledData(o, 'test');
  t.deepEqual(d.classes, ['Democratic', 'Republican']);
  const n = d.fullTrain.records.length + d.validation.records.length + d.test.records.length + d.dropped.duplicates;
  t.is(n, 9197);
  const speech = (f: string) => f.slice('npm:sotu-party/'.length).replace(/\/\d+$/, '');
  const trainSpeeches = new Set(d.fullTrain.records.map((r) => speech(r.file)));
  const testSpeeches = new Set(d.test.records.map((r) => speech(r.file)));
  t.true(testSpeeches.size >= 10);
  for (const s of testSpeeches) t.false(trainSpeeches.has(s), s);
  for (const r of d.test.records) t.true(r.text.split(/\s+/).length >= 80);
  t.true(d.test.records.every((r) => /^(19|20)\d\d /.test(speech(r.file))));
});
