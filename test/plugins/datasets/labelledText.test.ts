import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { LabelledTextDataset, loadLabelledData, LABELLED_TEXT_OPTIONS, resolveLabelled } from './helpers/labelled.ts';
import { loadSpamAssassin } from '../../../plugins/datasets/index.ts';
import { CharTokenizer } from './helpers/charTokenizer.ts';
import { collect, pseudoText, setupWith } from './helpers/setup.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const dir = mkdtempSync(join(tmpdir(), 'graft-labelled-'));

/** A CSV of n rows: label "neg" for 70%, "pos" for 30%; texts of varied length, some quoted with commas. */
function writeCsv(name: string, n: number): string {
  const lines = ['id,text,label'];
  for (let i = 0; i < n; i++) {
    const text = `${i % 3 === 0 ? 'x, ' : ''}${pseudoText(5 + ((i * 13) % 40), i + 1)}`;
    lines.push(`${i},"${text}",${i % 10 < 7 ? 'neg' : 'pos'}`);
  }
  const p = join(dir, name);
  writeFileSync(p, lines.join('\r\n') + '\r\n');
  return p;
}
const csv100 = writeCsv('a.csv', 100);

test('one file is split train/validation/test, stratified, disjoint, the same for every run seed', async (t) => {
  const a = new LabelledTextDataset({ source: csv100, batchSize: 8 });
  const b = new LabelledTextDataset({ source: csv100, batchSize: 8 });
  const ra = await setupWith(a, { seed: 1 });
  const rb = await setupWith(b, { seed: 2 });
  t.deepEqual(a.classNames, ['neg', 'pos']);
  t.is(a.numClasses, 2);
  const ex = (d: LabelledTextDataset, s: 'train' | 'validation' | 'test') => d.examples(s);
  const sizes = (['train', 'validation', 'test'] as const).map((s) => ex(a, s).length);
  t.deepEqual(sizes, [80, 10, 10]);
  for (const s of ['validation', 'test'] as const) {
    const labels = ex(a, s).map((e) => e.label);
    t.deepEqual([labels.filter((l) => l === 'neg').length, labels.filter((l) => l === 'pos').length], [7, 3]);
    t.deepEqual(ex(b, s), ex(a, s));
  }
  const lines = (s: 'train' | 'validation' | 'test') => ex(a, s).map((e) => e.line!);
  const all = [...lines('train'), ...lines('validation'), ...lines('test')];
  t.is(new Set(all).size, 100);
  // CRLF file, one record a line after the header.
  t.deepEqual([...all].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i + 2));
  ra.trainer.dispose();
  rb.trainer.dispose();
});

test('batches: inputs padded at the end with pad, mask, lengths and labels agree with the examples', async (t) => {
  const ds = new LabelledTextDataset({ source: csv100, batchSize: 8, maxLen: 20 });
  const tok = new CharTokenizer(64, { pad: 0, eos: 1 });
  const { trainer } = await setupWith(ds, { tokenizer: tok });
  const examples = ds.examples('validation');
  const batches = collect(ds, 'validation');
  t.is(batches.length, 2);
  let k = 0;
  for (const b of batches) {
    const inputs = b.inputs as number[][];
    const T = inputs[0]!.length;
    t.is(T, Math.max(...(b.lengths as number[])));
    inputs.forEach((row, r) => {
      const e = examples[k++]!;
      const ids = Array.from(tok.encode(e.text)).slice(0, 20);
      t.is((b.lengths as number[])[r], ids.length);
      t.deepEqual(row, [...ids, ...Array(T - ids.length).fill(0)]);
      t.deepEqual((b.mask as number[][])[r], [...Array(ids.length).fill(1), ...Array(T - ids.length).fill(0)]);
      t.is((b.labels as number[])[r], e.labelId);
    });
  }
  t.is(k, examples.length);
  trainer.dispose();
});

test('truncate keep-end keeps the last maxLen tokens; appendEos ends every example with eos', async (t) => {
  const ds = new LabelledTextDataset({ source: csv100, batchSize: 100, maxLen: 6, truncate: 'keep-end', appendEos: true, validationFraction: 0, testFraction: 0 });
  const tok = new CharTokenizer(64);
  const { trainer } = await setupWith(ds, { tokenizer: tok });
  const ex = ds.examples('validation');
  t.is(ex.length, 0);
  t.is(collect(ds, 'validation').length, 0);
  const order = ds.examples('train');
  const batch = collect(ds, 'train')[0]!;
  const byLabelAndText = new Map(order.map((e) => [Array.from(tok.encode(e.text)).slice(-5).concat(1).join(','), e]));
  for (const row of batch.inputs as number[][]) t.true(byLabelAndText.has(row.join(',')), row.join(','));
  trainer.dispose();
});

test('training order: seeded per epoch, every example once, from k gives the tail; evaluation fixed', async (t) => {
  const ds = new LabelledTextDataset({ source: csv100, batchSize: 7 });
  const ds2 = new LabelledTextDataset({ source: csv100, batchSize: 7 });
  const ds3 = new LabelledTextDataset({ source: csv100, batchSize: 7 });
  const r1 = await setupWith(ds, { seed: 3 });
  const r2 = await setupWith(ds2, { seed: 3 });
  const r3 = await setupWith(ds3, { seed: 4 });
  t.is(ds.numBatches('train'), Math.ceil(80 / 7));
  const e1 = collect(ds, 'train', 1);
  t.is(e1.length, ds.numBatches('train'));
  t.is(e1.flatMap((b) => b.labels as number[]).length, 80);
  t.deepEqual(collect(ds2, 'train', 1), e1);
  t.notDeepEqual(collect(ds3, 'train', 1), e1);
  t.notDeepEqual(collect(ds, 'train', 2), e1);
  for (const k of [1, 4, e1.length]) t.deepEqual(collect(ds, 'train', 1, k), e1.slice(k));
  t.deepEqual(collect(ds, 'test', 0), collect(ds3, 'test', 5));
  for (const r of [r1, r2, r3]) r.trainer.dispose();
});

test('dropLast and sortish: batch counts, every example once, similar lengths per batch', async (t) => {
  const ds = new LabelledTextDataset({ source: csv100, batchSize: 8, dropLast: true, sortish: true, sortishPool: 3 });
  const { trainer } = await setupWith(ds);
  t.is(ds.numBatches('train'), 10);
  const bs = collect(ds, 'train', 0);
  t.is(bs.length, 10);
  t.is(new Set(bs.flatMap((b) => (b.inputs as number[][]).map((r) => r.join(',')))).size, 80);
  for (const b of bs) {
    const ls = b.lengths as number[];
    t.deepEqual(ls, [...ls].sort((x, y) => y - x));
  }
  const ev = collect(ds, 'validation').flatMap((b) => b.lengths as number[]);
  t.deepEqual(ev, [...ev].sort((x, y) => y - x));
  trainer.dispose();
});

test('trainSize: stratified, nested across sizes, independent of the run seed', async (t) => {
  const mk = async (trainSize: number, seed: number, subsampleSeed = 0) => {
    const ds = new LabelledTextDataset({ source: csv100, trainSize, subsampleSeed });
    const r = await setupWith(ds, { seed });
    const ex = ds.examples('train');
    const full = ds.unlabelledTexts();
    r.trainer.dispose();
    return { ex, full };
  };
  const s20 = await mk(20, 1);
  const s20b = await mk(20, 2);
  const s50 = await mk(50, 1);
  t.is(s20.ex.length, 20);
  t.deepEqual(s20.ex.filter((e) => e.label === 'pos').length, 6);
  t.deepEqual(s20b.ex, s20.ex);
  const in50 = new Set(s50.ex.map((e) => e.line));
  t.true(s20.ex.every((e) => in50.has(e.line)));
  t.notDeepEqual((await mk(20, 1, 7)).ex, s20.ex);
  // The unlabelled texts are the whole training split, not the subsample.
  t.is(s20.full.length, 80);
});

test('validationSize: a stratified, nested subsample of the validation split; the test split untouched', async (t) => {
  const csv = writeCsv('v.csv', 400);
  const mk = async (validationSize: number, subsampleSeed = 0) => {
    const ds = new LabelledTextDataset({ source: csv, validationFraction: 0.25, validationSize, subsampleSeed });
    const r = await setupWith(ds);
    const out = { val: ds.examples('validation'), test: ds.examples('test'), train: ds.examples('train') };
    r.trainer.dispose();
    return out;
  };
  const all = await mk(0);
  const v10 = await mk(10);
  const v40 = await mk(40);
  t.is(all.val.length, 100);
  t.is(v10.val.length, 10);
  // 70/30 classes: 7 and 3 of 10, 28 and 12 of 40.
  t.is(v10.val.filter((e) => e.label === 'pos').length, 3);
  t.is(v40.val.filter((e) => e.label === 'pos').length, 12);
  const full = new Set(all.val.map((e) => e.line));
  const in40 = new Set(v40.val.map((e) => e.line));
  t.true(v40.val.every((e) => full.has(e.line)));
  t.true(v10.val.every((e) => in40.has(e.line)));
  t.deepEqual(v10.test, all.test);
  t.deepEqual(v10.train, all.train);
  t.notDeepEqual((await mk(10, 5)).val, v10.val);
  t.deepEqual((await mk(1000)).val, all.val);
});

test('unlabelledTexts and trainingTexts never contain validation or test texts', async (t) => {
  const ds = new LabelledTextDataset({ source: csv100 });
  const { trainer, tokenizer } = await setupWith(ds);
  const held = new Set([...ds.examples('validation'), ...ds.examples('test')].map((e) => e.text));
  t.is(held.size, 20);
  t.true(ds.unlabelledTexts().every((x) => !held.has(x)));
  t.deepEqual(tokenizer.fitted, ds.trainingTexts());
  t.deepEqual(new Set(ds.trainingTexts()), new Set(ds.examples('train').map((e) => e.text)));
  trainer.dispose();
});

test('separate files for the splits; labels sorted (numerically when numeric); JSONL', async (t) => {
  const train = join(dir, 'train.jsonl');
  const val = join(dir, 'val.jsonl');
  writeFileSync(train, ['{"t":"aa","y":10}', '{"t":"bb","y":2}', '{"t":"cc","y":2}', '{"t":"dd","y":10}', '{"t":"ee","y":1}'].join('\n'));
  writeFileSync(val, '{"t":"ff","y":1}\n');
  const ds = new LabelledTextDataset({ train, validation: val, textField: 't', labelField: 'y', testFraction: 0 });
  const { trainer } = await setupWith(ds);
  t.deepEqual(ds.classNames, ['1', '2', '10']);
  t.deepEqual(ds.examples('validation').map((e) => [e.text, e.labelId]), [['ff', 0]]);
  t.is(ds.examples('train').length, 5);
  t.is(ds.numBatches('test'), 0);
  trainer.dispose();
  const fixed = loadLabelledData(resolveLabelled({ train, validation: val, textField: 't', labelField: 'y', labels: ['10', '2', '1'] }), 'p');
  t.deepEqual(fixed.classes, ['10', '2', '1']);
  const e = t.throws(() => loadLabelledData(resolveLabelled({ train, textField: 't', labelField: 'y', labels: ['1', '2'] }), 'p'), { instanceOf: GraftError });
  t.regex(e.message, /train\.jsonl:1.*label "10" is not one of the classes/);
});

test('duplicates are dropped before splitting', (t) => {
  const p = join(dir, 'dup.csv');
  writeFileSync(p, 'text,label\nsame,a\nother,b\nsame,a\nthird,a\n');
  const d = loadLabelledData(resolveLabelled({ source: p, validationFraction: 0, testFraction: 0 }), 'p');
  t.deepEqual(d.train.records.map((r) => r.text), ['same', 'other', 'third']);
  t.is(d.dropped.duplicates, 1);
  const kept = loadLabelledData(resolveLabelled({ source: p, validationFraction: 0, testFraction: 0, dedupe: false }), 'p');
  t.is(kept.train.records.length, 4);
});

test('SpamAssassin: both classes, headers stripped, stratified fixed splits', (t) => {
  const o = resolveLabelled({ source: 'npm:spam-assassin', splitSeed: 5 });
  const d = loadLabelledData(o, 'p');
  t.deepEqual(d.classes, ['ham', 'spam']);
  const n = d.fullTrain.records.length + d.validation.records.length + d.test.records.length;
  t.true(n > 5500 && n <= 6046, `${n}`);
  const spamShare = (labels: Int32Array) => labels.filter((l) => l === 1).length / labels.length;
  const overall = spamShare(Int32Array.from([...d.fullTrain.labels, ...d.validation.labels, ...d.test.labels]));
  t.true(overall > 0.25 && overall < 0.4, `${overall}`);
  for (const s of [d.validation, d.test]) t.true(Math.abs(spamShare(s.labels) - overall) < 0.01);
  // The mail's own headers are gone: no body starts with a transport header, and none holds
  // its mail's first line (the mbox "From <sender> <date>") or first Received: line. Bodies may
  // still quote other mails' headers (forwards, replies); that is content.
  const raw = new Map(loadSpamAssassin('p').map((m) => [`npm:spam-assassin/${m.group}/${m.id}`, m.text]));
  for (const r of [...d.fullTrain.records, ...d.validation.records, ...d.test.records]) {
    if (/^(Received|Return-Path|Delivered-To):/i.test(r.text)) t.fail(`${r.file}: ${r.text.slice(0, 80)}`);
    const mail = raw.get(r.file)!.replace(/\r\n?/g, '\n');
    const first = mail.slice(0, mail.indexOf('\n')).replace(/\s+/g, ' ').trim();
    const headers = mail.slice(0, mail.indexOf('\n\n'));
    // The first Received header with its folded lines: ids and dates make it unique.
    const received = /^Received: .*(\n[ \t].*)*/m.exec(headers)?.[0].replace(/\s+/g, ' ');
    const flat = r.text.replace(/\s+/g, ' ');
    if ((first.startsWith('From ') && flat.includes(first)) || (received && flat.includes(received))) t.fail(`${r.file} keeps its headers`);
  }
  t.true(d.fullTrain.records.some((r) => r.file.includes('/spam-2/')));
  t.true(d.fullTrain.records.some((r) => r.file.includes('/hard-ham-1/')));
  // Same options, same test set; another splitSeed, another one.
  const again = loadLabelledData(o, 'p');
  t.deepEqual(again.test.records.map((r) => r.file), d.test.records.map((r) => r.file));
  const groups = loadLabelledData(resolveLabelled({ source: 'npm:spam-assassin', groups: ['hard-ham-1', 'spam-1'], validationFraction: 0, testFraction: 0 }), 'p');
  t.true(groups.train.records.every((r) => /\/(hard-ham-1|spam-1)\//.test(r.file)));
});

test('SpamAssassin through the plugin with a small trainSize', async (t) => {
  const ds = new LabelledTextDataset({ source: 'npm:spam-assassin', trainSize: 50, maxLen: 64, batchSize: 16 });
  const { trainer } = await setupWith(ds, { tokenizer: new CharTokenizer(256) });
  const labels = ds.examples('train').map((e) => e.label);
  t.is(labels.length, 50);
  t.true(labels.includes('ham') && labels.includes('spam'));
  t.is(ds.numBatches('train'), 4);
  const before = tf.memory().numTensors;
  for (const b of ds.batches('train', { epoch: 0 })) {
    t.true(b.inputs!.shape[1]! <= 64);
    tf.dispose(Object.values(b));
  }
  t.is(tf.memory().numTensors, before);
  trainer.dispose();
});

test('iterating and disposing batches leaves the tensor count unchanged; tensors are made lazily', async (t) => {
  const ds = new LabelledTextDataset({ source: csv100, batchSize: 16 });
  const { trainer } = await setupWith(ds);
  const before = tf.memory().numTensors;
  for (const s of ['train', 'validation', 'test'] as const) collect(ds, s, 1);
  t.is(tf.memory().numTensors, before);
  const it = ds.batches('train', { epoch: 0 });
  t.is(tf.memory().numTensors, before);
  const b = it.next().value!;
  t.deepEqual(Object.keys(b).sort(), ['inputs', 'labels', 'lengths', 'mask']);
  t.deepEqual([b.inputs!.dtype, b.mask!.dtype, b.lengths!.dtype, b.labels!.dtype], ['int32', 'float32', 'int32', 'int32']);
  tf.dispose(Object.values(b));
  t.is(tf.memory().numTensors, before);
  trainer.dispose();
});

test('errors name the option, file and line', async (t) => {
  const none = t.throws(() => new LabelledTextDataset({}), { instanceOf: GraftError });
  t.is(none.details.option, 'source');
  t.throws(() => new LabelledTextDataset({ source: csv100, train: csv100 }), { message: /source and train are both set/ });
  const npm = t.throws(() => new LabelledTextDataset({ source: 'npm:imdb' }), { instanceOf: GraftError });
  t.is(npm.code, ErrorCodes.DATA);
  t.regex(npm.message, /npm:imdb.*npm:spam-assassin/);
  t.throws(() => new LabelledTextDataset({ source: csv100, validationFraction: 0.5, testFraction: 0.5 }), { message: /testFraction/ });
  t.throws(() => new LabelledTextDataset({ source: csv100, groups: ['spam-1'] }), { message: /groups/ });
  t.throws(() => new LabelledTextDataset({ source: csv100, maxLen: 0 }), { message: /maxLen/ });
  t.throws(() => new LabelledTextDataset({ source: csv100, truncate: 'middle' as 'keep-end' }), { message: /truncate/ });
  t.true('maxLen' in LABELLED_TEXT_OPTIONS);

  const p = join(dir, 'bad.csv');
  writeFileSync(p, 'text,label\nok,a\n"unterminated,b\n');
  const e = await t.throwsAsync(setupWith(new LabelledTextDataset({ source: p })), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.regex(e.message, /bad\.csv:3/);

  const col = await t.throwsAsync(setupWith(new LabelledTextDataset({ source: csv100, labelField: 'class' })), { instanceOf: GraftError });
  t.regex(col.message, /a\.csv.*no column "class"/);

  const unencodable = join(dir, 'unenc.csv');
  writeFileSync(unencodable, 'text,label\nab,x\ncd,y\n');
  const emptyTok = new CharTokenizer(64);
  emptyTok.encode = (s: string) => (s === 'cd' ? new Int32Array(0) : CharTokenizer.prototype.encode.call(emptyTok, s));
  const enc = await t.throwsAsync(setupWith(new LabelledTextDataset({ source: unencodable, validationFraction: 0, testFraction: 0 }), { tokenizer: emptyTok }), { instanceOf: GraftError });
  t.regex(enc.message, /unenc\.csv:3.*encodes to no tokens/);
});
