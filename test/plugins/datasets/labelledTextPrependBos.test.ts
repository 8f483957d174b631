import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRagged, raggedLengths } from '../../../plugins/datasets/shared/raggedTokens.ts';
import { LabelledTextDataset } from './helpers/labelled.ts';
import { CharTokenizer } from './helpers/charTokenizer.ts';
import { collect, pseudoText, setupWith } from './helpers/setup.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const BOS = 2;
// pad 0, eos 1, bos 2; characters from 3 up
const tok = () => new CharTokenizer(64, { pad: 0, eos: 1, bos: BOS });
const ids = (s: string) => Array.from(tok().encode(s));

const dir = mkdtempSync(join(tmpdir(), 'graft-labelled-bos-'));
const csv = join(dir, 'a.csv');
writeFileSync(csv, ['text,label', ...Array.from({ length: 40 }, (_, i) => `${pseudoText(1 + ((i * 7) % 12), i + 1)},${i % 2 ? 'pos' : 'neg'}`)].join('\n') + '\n');

test('encodeRagged: prependId first and appendId last, both within maxLen, whichever end is kept', (t) => {
  const texts = ['abcdef', 'xy'];
  const both = encodeRagged(texts, tok(), { maxLen: 4, truncate: 'keep-start', prependId: BOS, appendId: 1, plugin: 'p' });
  t.deepEqual(Array.from(both.ids), [BOS, ...ids('ab'), 1, BOS, ...ids('xy'), 1]);
  t.deepEqual(Array.from(raggedLengths(both)), [4, 4]);
  const end = encodeRagged(texts, tok(), { maxLen: 4, truncate: 'keep-end', prependId: BOS, plugin: 'p' });
  t.deepEqual(Array.from(end.ids), [BOS, ...ids('def'), BOS, ...ids('xy')]);
  t.deepEqual(Array.from(raggedLengths(end)), [4, 3]);
});

test('prependBos: the first id of every row is bos, lengths and mask count it, the text follows (truncated to maxLen - 1)', async (t) => {
  const maxLen = 8;
  const ds = new LabelledTextDataset({ source: csv, batchSize: 40, maxLen, prependBos: true, validationFraction: 0, testFraction: 0 });
  const { trainer } = await setupWith(ds, { tokenizer: tok() });
  const texts = new Map(ds.examples('train').map((e) => [ids(e.text).slice(0, maxLen - 1).join(','), e.text]));
  const [batch] = collect(ds, 'train');
  const inputs = batch!.inputs as number[][];
  const lengths = batch!.lengths as number[];
  const mask = batch!.mask as number[][];
  t.is(inputs.length, 40);
  t.is(inputs[0]!.length, maxLen, 'the longest texts fill maxLen, bos included');
  inputs.forEach((row, b) => {
    t.is(row[0], BOS);
    const len = lengths[b]!;
    t.is(mask[b]!.reduce((a, v) => a + v, 0), len);
    t.true(row.slice(len).every((v) => v === 0), 'padded at the end');
    const text = texts.get(row.slice(1, len).join(','));
    t.truthy(text, `row ${b} is bos + an example's text`);
    t.is(len, Math.min(maxLen, text!.length + 1));
  });
  // texts outside the data are encoded the same way
  const [tb] = [...ds.textBatches(['hello', 'a much longer text'], tok())];
  t.deepEqual(tb!.inputs!.arraySync(), [[BOS, ...ids('hello'), 0, 0], [BOS, ...ids('a much ')]]);
  t.deepEqual(tb!.lengths!.arraySync(), [6, 8]);
  tf.dispose(Object.values(tb!));
  // off by default: rows start with the text
  const plain = new LabelledTextDataset({ source: csv, batchSize: 40, maxLen, validationFraction: 0, testFraction: 0 });
  const r2 = await setupWith(plain, { tokenizer: tok() });
  const rows = collect(plain, 'train')[0]!.inputs as number[][];
  t.false(rows.some((row) => row[0] === BOS));
  trainer.dispose();
  r2.trainer.dispose();
});

test('prependBos needs a bos token and room for text in maxLen', async (t) => {
  t.throws(() => new LabelledTextDataset({ source: csv, maxLen: 2, prependBos: true, appendEos: true }), { message: /dataset:labelled-text.*option "maxLen"/ });
  const ds = new LabelledTextDataset({ source: csv, prependBos: true });
  await t.throwsAsync(() => setupWith(ds, { tokenizer: new CharTokenizer(64) }), { message: /dataset:labelled-text", option "prependBos": the tokenizer has no bos token/ });
});
