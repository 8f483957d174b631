import test from 'ava';
import { chunkText } from '../../../../plugins/datasets/shared/chunkText.ts';
import { evenlySpacedIndices, heldOutCount } from '../../../../plugins/datasets/shared/evenlySpaced.ts';
import { splitCorpus } from '../../../../plugins/datasets/shared/splitCorpus.ts';

test('evenlySpacedIndices takes the middle of k equal strata', (t) => {
  t.deepEqual(Array.from(evenlySpacedIndices(10, 2)), [2, 7]);
  t.deepEqual(Array.from(evenlySpacedIndices(10, 5)), [1, 3, 5, 7, 9]);
  t.deepEqual(Array.from(evenlySpacedIndices(4, 4)), [0, 1, 2, 3]);
  t.deepEqual(Array.from(evenlySpacedIndices(3, 0)), []);
});

test('heldOutCount rounds, but keeps one on each side when it can', (t) => {
  t.is(heldOutCount(100, 0.1), 10);
  t.is(heldOutCount(5, 0.1), 1);
  t.is(heldOutCount(2, 0.9), 1);
  t.is(heldOutCount(1, 0.5), 0);
  t.is(heldOutCount(100, 0), 0);
});

test('chunkText: pieces concatenate to the text and end just after whitespace', (t) => {
  const text = 'the quick brown fox jumps over the lazy dog '.repeat(20);
  const pieces = chunkText(text, 50);
  t.is(pieces.join(''), text);
  for (const p of pieces.slice(0, -1)) {
    t.true(p.length >= 50 && p.length <= 50 + 12, `${p.length}`);
    t.regex(p, /\s$/);
  }
  // No whitespace within reach: cut exactly at chunkChars.
  t.deepEqual(chunkText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
});

test('chunk split: deterministic, disjoint, covers the corpus, validation spread evenly', (t) => {
  const docs = ['a'.repeat(1000), 'b'.repeat(1000)];
  const s = splitCorpus(docs, 'chunk', 0.2, 100);
  // 20 chunks of 100, 4 held out at strata centres 2, 7, 12, 17.
  t.deepEqual(s.validation, ['a'.repeat(100), 'a'.repeat(100), 'b'.repeat(100), 'b'.repeat(100)]);
  // doc a: chunks 0-1, 3-6, 8-9 train; doc b: 10-11, 13-16, 18-19.
  t.deepEqual(
    s.train.map((x) => x.length),
    [200, 400, 200, 200, 400, 200],
  );
  t.is(s.train.join('').length + s.validation.join('').length, 2000);
  t.deepEqual(splitCorpus(docs, 'chunk', 0.2, 100), s);
});

test('chunk split keeps contiguous training text in one segment', (t) => {
  const text = Array.from({ length: 400 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
  const s = splitCorpus([text], 'chunk', 0.25, 100);
  // chunks 0..3, one held out: floor(0.5 * 4) = 2.
  t.deepEqual(s.validation, [text.slice(200, 300)]);
  t.deepEqual(s.train, [text.slice(0, 200), text.slice(300)]);
});

test('document split holds out whole documents, evenly spaced', (t) => {
  const docs = Array.from({ length: 10 }, (_, i) => `doc${i}`);
  const s = splitCorpus(docs, 'document', 0.2, 100);
  t.deepEqual(s.validation, ['doc2', 'doc7']);
  t.deepEqual(s.train, ['doc0', 'doc1', 'doc3', 'doc4', 'doc5', 'doc6', 'doc8', 'doc9']);
  t.deepEqual(splitCorpus(docs, 'document', 0, 100), { train: docs, validation: [] });
});
