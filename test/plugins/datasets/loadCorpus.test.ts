import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { checkFrom, loadCorpus, TextCorpusDataset, truncateDocs, unlabelledTextsOf } from '../../../plugins/datasets/index.ts';
import { setupWith } from './helpers/setup.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('truncateDocs keeps the first maxChars characters across documents', (t) => {
  const docs = [
    { id: 'a', text: 'hello' },
    { id: 'e', text: '' },
    { id: 'b', text: 'world' },
    { id: 'c', text: 'more' },
  ];
  t.deepEqual(truncateDocs(docs, 7), [
    { id: 'a', text: 'hello' },
    { id: 'b', text: 'wo' },
  ]);
});

test('loadCorpus: sources in order, then texts; empty corpus is a DATA error', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graft-corpus-'));
  writeFileSync(join(dir, 'x.txt'), 'file text');
  const docs = loadCorpus([join(dir, 'x.txt')], ['code text'], { sotu: {}, maxChars: 0, plugin: 'p' });
  t.deepEqual(docs.map((d) => d.text), ['file text', 'code text']);
  const e = t.throws(() => loadCorpus([], ['', ''], { sotu: {}, maxChars: 0, plugin: 'p' }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.regex(e.message, /corpus is empty/);
  const none = t.throws(() => loadCorpus(['npm:sotu'], [], { sotu: { years: [1700, 1701] }, maxChars: 0, plugin: 'p' }), { instanceOf: GraftError });
  t.regex(none.message, /npm:sotu.*has no text.*sotuYears/);
});

test('checkFrom accepts integers >= 0 only', (t) => {
  t.is(checkFrom({ epoch: 0 }, 'p'), 0);
  t.is(checkFrom({ epoch: 2, from: 3 }, 'p'), 3);
  t.throws(() => checkFrom({ epoch: 0, from: -1 }, 'p'), { message: /invalid batch position/ });
  t.throws(() => checkFrom({ epoch: 0.5 }, 'p'), { message: /invalid batch position/ });
});

test('a CSV training split feeds a text corpus for LM fine-tuning, without its validation or test texts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'graft-ulm-'));
  const p = join(dir, 'd.csv');
  const rows = Array.from({ length: 40 }, (_, i) => `text number ${i} ${'x'.repeat(i)},${i % 2 ? 'a' : 'b'}`);
  writeFileSync(p, `text,label\n${rows.join('\n')}\n`);
  const texts = unlabelledTextsOf({ source: p });
  t.is(texts.length, 32);
  const ds = new TextCorpusDataset({ seqLen: 8, batchSize: 2, splitBy: 'document' }, { texts: () => unlabelledTextsOf({ source: p }) });
  const { trainer } = await setupWith(ds);
  t.deepEqual([...ds.trainingTexts(), ...ds.validationTexts()].sort(), [...texts].sort());
  trainer.dispose();
});
