import test from 'ava';
import { ErrorCodes, GraftError } from '../../../../core/index.ts';
import { encodeStream } from '../../../../plugins/datasets/shared/encodeStream.ts';
import { padBatch } from '../../../../plugins/datasets/shared/padBatch.ts';
import { encodeRagged, raggedLengths } from '../../../../plugins/datasets/shared/raggedTokens.ts';
import { CharTokenizer } from '../helpers/charTokenizer.ts';

const tok = new CharTokenizer(64);
const ids = (s: string) => Array.from(tok.encode(s));

test('encodeStream joins documents with the separator and stores 2-byte ids when they fit', (t) => {
  const s = encodeStream(['ab', 'c'], tok, 1, 'p');
  t.true(s instanceof Uint16Array);
  t.deepEqual(Array.from(s), [...ids('ab'), 1, ...ids('c')]);
  t.deepEqual(Array.from(encodeStream(['ab', 'c'], tok, undefined, 'p')), ids('abc'));
  t.true(encodeStream(['a'], new CharTokenizer(70000), 1, 'p') instanceof Int32Array);
});

test('ids outside the vocabulary are an error naming the plugin', (t) => {
  const bad = { ...tok, vocabSize: 4, specials: {}, encode: () => Int32Array.of(2, 7) } as unknown as CharTokenizer;
  const e = t.throws(() => encodeStream(['x'], bad, undefined, 'dataset:x'), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.regex(e.message, /dataset:x.*id 7/);
});

test('encodeRagged truncates keeping the start or the end, and appends eos within maxLen', (t) => {
  const texts = ['abcdef', 'xy'];
  const start = encodeRagged(texts, tok, { maxLen: 4, truncate: 'keep-start', plugin: 'p' });
  t.deepEqual(Array.from(start.offsets), [0, 4, 6]);
  t.deepEqual(Array.from(start.ids), [...ids('abcd'), ...ids('xy')]);
  const end = encodeRagged(texts, tok, { maxLen: 4, truncate: 'keep-end', plugin: 'p' });
  t.deepEqual(Array.from(end.ids), [...ids('cdef'), ...ids('xy')]);
  const eos = encodeRagged(texts, tok, { maxLen: 4, truncate: 'keep-start', appendId: 1, plugin: 'p' });
  t.deepEqual(Array.from(eos.ids), [...ids('abc'), 1, ...ids('xy'), 1]);
  t.deepEqual(Array.from(raggedLengths(eos)), [4, 3]);
});

test('padBatch pads at the end to the longest in the batch, with mask and lengths', (t) => {
  const r = encodeRagged(['abc', 'a', 'abcdefgh'], tok, { maxLen: 8, truncate: 'keep-start', plugin: 'p' });
  const p = padBatch(r, [1, 0], 8, 0);
  t.is(p.T, 3);
  t.deepEqual(Array.from(p.inputs), [...ids('a'), 0, 0, ...ids('abc')]);
  t.deepEqual(Array.from(p.mask), [1, 0, 0, 1, 1, 1]);
  t.deepEqual(Array.from(p.lengths), [1, 3]);
  const capped = padBatch(r, [2], 5, 0);
  t.is(capped.T, 5);
  t.deepEqual(Array.from(capped.lengths), [5]);
});
