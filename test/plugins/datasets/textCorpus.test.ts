import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainer, ErrorCodes, GraftError, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { TextCorpusDataset } from '../../../plugins/datasets/index.ts';
import { ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';
import { CharTokenizer, CharTokenizerPlugin } from './helpers/charTokenizer.ts';
import { collect, pseudoText, setupWith } from './helpers/setup.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const rows = (b: Record<string, unknown>, k: string) => b[k] as number[][];
/** All windows of the stream on a grid, as strings, for multiset comparisons. */
const gridWindows = (stream: ArrayLike<number>, T: number, stride: number, count: number) =>
  Array.from({ length: count }, (_, k) => Array.from(stream).slice(k * stride, k * stride + T).join(','));

test('targets are the inputs shifted by one, both taken from the token stream', async (t) => {
  const ds = new TextCorpusDataset({ seqLen: 16, batchSize: 4, validationFraction: 0.2, chunkChars: 200 }, { texts: [pseudoText(2000)] });
  const { trainer } = await setupWith(ds);
  const stream = Array.from(ds.tokenStream('train'));
  for (const split of ['train', 'validation'] as const) {
    const src = Array.from(ds.tokenStream(split));
    for (const b of collect(ds, split)) {
      rows(b, 'inputs').forEach((inp, r) => {
        const tg = rows(b, 'targets')[r]!;
        t.deepEqual(inp.slice(1), tg.slice(0, -1));
        const s = src.join(',').indexOf(inp.join(','));
        t.true(s >= 0);
      });
    }
  }
  t.true(stream.length > 0);
  trainer.dispose();
});

test('every training window appears exactly once per epoch when windows do not overlap', async (t) => {
  // 129 tokens, T = 8, stride 8: windows 0, 8, ..., 120 → 16 windows, 4 batches of 4.
  const ds = new TextCorpusDataset({ seqLen: 8, batchSize: 4, validationFraction: 0 }, { texts: [pseudoText(129)] });
  const { trainer } = await setupWith(ds);
  t.is(ds.numBatches('train'), 4);
  const expected = gridWindows(ds.tokenStream('train'), 8, 8, 16).sort();
  for (const epoch of [0, 1]) {
    const seen = collect(ds, 'train', epoch).flatMap((b) => rows(b, 'inputs').map((r) => r.join(',')));
    t.deepEqual([...seen].sort(), expected);
  }
  t.notDeepEqual(collect(ds, 'train', 0), collect(ds, 'train', 1));
  trainer.dispose();
});

test('numBatches is exact: partial training batch dropped, validation kept and capped', async (t) => {
  // train stream 200 tokens, T = 10: floor((200-11)/10)+1 = 19 windows → 4 batches of 4 (3 dropped).
  const ds = new TextCorpusDataset({ seqLen: 10, batchSize: 4, validationFraction: 0 }, { texts: [pseudoText(200)] });
  const { trainer } = await setupWith(ds);
  t.is(ds.trainWindows(), 19);
  t.is(ds.numBatches('train'), 4);
  t.is(collect(ds, 'train').length, 4);
  t.is(ds.numBatches('test'), 0);
  t.is(collect(ds, 'test').length, 0);
  trainer.dispose();

  const v = new TextCorpusDataset({ seqLen: 10, batchSize: 4, validationFraction: 0.5, chunkChars: 100 }, { texts: [pseudoText(1000)] });
  const r = await setupWith(v);
  const nv = v.tokenStream('validation').length;
  const windows = Math.floor((nv - 11) / 10) + 1;
  t.is(v.numBatches('validation'), Math.ceil(windows / 4));
  const batches = collect(v, 'validation');
  t.is(batches.length, v.numBatches('validation'));
  t.is(batches.flatMap((b) => rows(b, 'inputs')).length, windows);
  // Fixed, non-overlapping, in order, whatever the epoch.
  t.deepEqual(batches.flatMap((b) => rows(b, 'inputs').map((x) => x.join(','))), gridWindows(v.tokenStream('validation'), 10, 10, windows));
  t.deepEqual(collect(v, 'validation', 3), batches);
  r.trainer.dispose();

  const capped = new TextCorpusDataset({ seqLen: 10, batchSize: 4, validationFraction: 0.5, chunkChars: 100, maxValidationBatches: 2 }, { texts: [pseudoText(1000)] });
  const r2 = await setupWith(capped);
  t.is(capped.numBatches('validation'), 2);
  const cb = collect(capped, 'validation');
  t.is(cb.flatMap((b) => rows(b, 'inputs')).length, 8);
  // Evenly spread over the split, not its first 8 windows.
  const all = gridWindows(capped.tokenStream('validation'), 10, 10, windows);
  const picked = cb.flatMap((b) => rows(b, 'inputs').map((x) => x.join(',')));
  t.true(picked.every((w) => all.includes(w)));
  t.not(picked[7], all[7]);
  r2.trainer.dispose();
});

test('batch order depends only on the run seed and the epoch; from k gives the tail', async (t) => {
  const opts = { seqLen: 12, batchSize: 3, validationFraction: 0.1, chunkChars: 500 };
  const texts = [pseudoText(3000)];
  const a = new TextCorpusDataset(opts, { texts });
  const b = new TextCorpusDataset(opts, { texts });
  // Given lazily: called at setup stage data.
  const c = new TextCorpusDataset(opts, { texts: () => texts });
  const ra = await setupWith(a, { seed: 5 });
  const rb = await setupWith(b, { seed: 5 });
  const rc = await setupWith(c, { seed: 6 });
  const ea = collect(a, 'train', 2);
  t.deepEqual(collect(b, 'train', 2), ea);
  t.notDeepEqual(collect(c, 'train', 2), ea);
  // Draws from the root stream after apply do not move the order.
  ra.trainer.rng.next();
  t.deepEqual(collect(a, 'train', 2), ea);
  for (const k of [0, 1, 5, ea.length - 1, ea.length]) t.deepEqual(collect(a, 'train', 2, k), ea.slice(k));
  // The validation set does not depend on the seed.
  t.deepEqual(c.validationTexts(), a.validationTexts());
  t.deepEqual(collect(c, 'validation'), collect(a, 'validation'));
  for (const r of [ra, rb, rc]) r.trainer.dispose();
});

test('epochOffset shifts the window grid per epoch, numBatches stays fixed', async (t) => {
  const ds = new TextCorpusDataset({ seqLen: 10, batchSize: 2, validationFraction: 0, epochOffset: true }, { texts: [pseudoText(400)] });
  const { trainer } = await setupWith(ds);
  // Worst offset 9: floor((400-11-9)/10)+1 = 39 windows.
  t.is(ds.trainWindows(), 39);
  const stream = Array.from(ds.tokenStream('train')).join(',');
  const offsets = new Set<number>();
  for (const epoch of [0, 1, 2, 3]) {
    const bs = collect(ds, 'train', epoch);
    t.is(bs.length, 19);
    for (const b of bs) {
      for (const r of rows(b, 'inputs')) {
        const pos = stream.indexOf(r.join(','));
        offsets.add(stream.slice(0, pos).split(',').length - 1);
      }
    }
  }
  t.true([...offsets].some((o) => o % 10 !== 0));
  trainer.dispose();
});

test('documents are joined with the eos id; without eos they are concatenated', async (t) => {
  const ds = new TextCorpusDataset({ seqLen: 2, batchSize: 1, validationFraction: 0 }, { texts: ['abc', 'de'] });
  const tok = new CharTokenizer(64);
  const r = await setupWith(ds, { tokenizer: tok });
  t.deepEqual(Array.from(ds.tokenStream('train')), [...tok.encode('abc'), 1, ...tok.encode('de')]);
  r.trainer.dispose();
  const ds2 = new TextCorpusDataset({ seqLen: 2, batchSize: 1, validationFraction: 0 }, { texts: ['abc', 'de'] });
  const r2 = await setupWith(ds2, { tokenizer: new CharTokenizer(64, { pad: 0 }) });
  t.deepEqual(Array.from(ds2.tokenStream('train')), Array.from(tok.encode('abcde')));
  r2.trainer.dispose();
});

test('the tokenizer is fitted on training text only', async (t) => {
  const text = pseudoText(5000);
  const ds = new TextCorpusDataset({ seqLen: 8, batchSize: 2, validationFraction: 0.2, chunkChars: 250 }, { texts: [text] });
  const { trainer, tokenizer } = await setupWith(ds);
  t.deepEqual(tokenizer.fitted, ds.trainingTexts());
  const train = tokenizer.fitted.join('\n');
  const val = ds.validationTexts();
  t.is(val.length, 4);
  for (const v of val) t.false(train.includes(v.slice(0, 50)));
  t.is(train.length - (tokenizer.fitted.length - 1) + val.join('').length, text.length);
  trainer.dispose();
});

test('npm:moby-dick with maxChars: a slice of the book from its start', async (t) => {
  const ds = new TextCorpusDataset({ sources: ['npm:moby-dick'], maxChars: 20000, seqLen: 32, batchSize: 4 });
  const { trainer } = await setupWith(ds, { tokenizer: new CharTokenizer(256) });
  const train = ds.trainingTexts();
  const val = ds.validationTexts();
  t.is(train.join('').length + val.join('').length, 20000);
  t.true(train[0]!.startsWith('CONTENTS'));
  t.true(ds.numBatches('train') > 0 && ds.numBatches('validation') > 0);
  trainer.dispose();
});

test('iterating and disposing batches leaves the tensor count unchanged', async (t) => {
  const ds = new TextCorpusDataset({ seqLen: 16, batchSize: 4, chunkChars: 300 }, { texts: [pseudoText(3000)] });
  const { trainer } = await setupWith(ds);
  const before = tf.memory().numTensors;
  for (const epoch of [0, 1]) for (const split of ['train', 'validation'] as const) collect(ds, split, epoch);
  t.is(tf.memory().numTensors, before);
  // Lazy: nothing is created until a batch is pulled.
  const it = ds.batches('train', { epoch: 0 });
  t.is(tf.memory().numTensors, before);
  const first = it.next().value!;
  t.is(tf.memory().numTensors, before + 2);
  t.deepEqual(first.inputs!.shape, [4, 16]);
  t.is(first.inputs!.dtype, 'int32');
  t.is(first.targets!.dtype, 'int32');
  tf.dispose(Object.values(first));
  trainer.dispose();
});

test('a resumed run sees exactly the batches the uninterrupted run saw', async (t) => {
  const seen = (into: string[]): GraftPlugin => ({
    meta: { name: 'callback:record', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('beforeStep', this, (ctx) => void into.push(Array.from(ctx.batch.inputs!.dataSync()).join(',')));
    },
  });
  const make = (into: string[], maxSteps = 0) => {
    const ds = new TextCorpusDataset({ seqLen: 8, batchSize: 4, validationFraction: 0.1, chunkChars: 100 }, { texts: [pseudoText(400)] });
    const tok = new CharTokenizerPlugin();
    return createTrainer({
      plugins: [ds, tok, new ToyModel({ vocab: 64 }), new ToyObjective(), new ToySgd(0.1), seen(into)],
      options: { seed: 9, epochs: 2, maxSteps },
      logger: silentLogger(),
    });
  };
  const full: string[] = [];
  const a = make(full);
  await a.fit();
  a.dispose();
  const perEpoch = full.length / 2;
  t.true(perEpoch > 3);

  const part: string[] = [];
  const b = make(part, perEpoch + 2);
  await b.fit();
  const dir = mkdtempSync(join(tmpdir(), 'graft-resume-'));
  await b.save(dir);
  b.dispose();
  const c = make(part);
  await c.resume(dir);
  await c.fit();
  c.dispose();
  t.deepEqual(part, full);
});

test('errors: no source, unknown npm corpus, missing file, empty corpus, bad options', async (t) => {
  const noSource = t.throws(() => new TextCorpusDataset({}), { instanceOf: GraftError });
  t.is(noSource.code, ErrorCodes.BAD_OPTION);
  t.is(noSource.details.option, 'sources');

  const unknown = t.throws(() => new TextCorpusDataset({ sources: ['npm:war-and-peace'] }), { instanceOf: GraftError });
  t.is(unknown.code, ErrorCodes.DATA);
  t.regex(unknown.message, /npm:war-and-peace.*npm:moby-dick, npm:sotu/);

  const bad = t.throws(() => new TextCorpusDataset({ sources: ['x.txt'], seqLen: 0 }), { instanceOf: GraftError });
  t.is(bad.details.option, 'seqLen');
  t.throws(() => new TextCorpusDataset({ sources: ['x.txt'], sotuYears: [1990] }), { message: /sotuYears/ });
  t.throws(() => new TextCorpusDataset({ sources: ['npm:sotu'], sotuParties: ['Tory'] }), { message: /sotuParties.*Tory/ });
  t.throws(() => new TextCorpusDataset({ sources: ['npm:moby-dick'], sotuParties: ['Whig'] }), { message: /npm:sotu is not a source/ });

  const dir = mkdtempSync(join(tmpdir(), 'graft-corpus-'));
  const missing = join(dir, 'nope.txt');
  const m = new TextCorpusDataset({ sources: [missing] });
  const e = await t.throwsAsync(setupWith(m), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.is(e.details.file, missing);
  t.regex(e.message, /nope\.txt/);

  writeFileSync(join(dir, 'empty.txt'), '');
  const empty = await t.throwsAsync(setupWith(new TextCorpusDataset({ sources: [join(dir, 'empty.txt')] })), { instanceOf: GraftError });
  t.is(empty.code, ErrorCodes.DATA);
  t.regex(empty.message, /empty\.txt.*has no text/);

  const tiny = await t.throwsAsync(setupWith(new TextCorpusDataset({ seqLen: 8, validationFraction: 0 }, { texts: ['abc'] })), { instanceOf: GraftError });
  t.is(tiny.details.option, 'seqLen');

  const oneDoc = await t.throwsAsync(setupWith(new TextCorpusDataset({ splitBy: 'document' }, { texts: ['abc def'] })), { instanceOf: GraftError });
  t.is(oneDoc.details.option, 'splitBy');
});
