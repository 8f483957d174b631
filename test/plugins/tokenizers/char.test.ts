import test from 'ava';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { CharTokenizer, loadTokenizer } from '../../../plugins/tokenizers/index.ts';
import { UNSEEN, mobyDickSlice } from './corpus.ts';

// Layout with the default specials: pad 0, unk 1, bos 2, eos 3, bytes 4..259, characters from 260.
const BYTE = 4;
const CHAR = 260;

test('vocabulary: specials, 256 byte tokens, then the characters in code-point order', (t) => {
  const tok = CharTokenizer.fit(['hello', 'hole']);
  t.deepEqual(tok.specials, { pad: 0, unk: 1, bos: 2, eos: 3 });
  t.deepEqual(tok.chars, ['e', 'h', 'l', 'o']);
  t.is(tok.vocabSize, CHAR + 4);
  t.deepEqual(Array.from(tok.encode('hello')), [CHAR + 1, CHAR + 0, CHAR + 2, CHAR + 2, CHAR + 3]);
  t.is(tok.idToToken(0), '<pad>');
  t.is(tok.idToToken(BYTE + 0x41), '<0x41>');
  t.is(tok.idToToken(CHAR + 1), 'h');
  t.is(tok.tokenToId('h'), CHAR + 1);
  t.is(tok.tokenToId('<eos>'), 3);
  t.is(tok.tokenToId('<0xFF>'), BYTE + 255);
  t.is(tok.tokenToId('z'), undefined);
});

test('characters are code points: an emoji is one token, sorted by code point not UTF-16 unit', (t) => {
  // U+1F9EC (surrogates D83E DDEC) sorts after U+FF01 by code point, before it by UTF-16 unit.
  const tok = CharTokenizer.fit(['🧬！a']);
  t.deepEqual(tok.chars, ['a', '！', '🧬']);
  t.deepEqual(Array.from(tok.encode('🧬')), [CHAR + 2]);
});

test('an unseen character is written as its UTF-8 bytes and decoded back', (t) => {
  const tok = CharTokenizer.fit(['abc']);
  // é = U+00E9 = C3 A9 in UTF-8; 🧬 = F0 9F A7 AC.
  t.deepEqual(Array.from(tok.encode('aé')), [CHAR, BYTE + 0xc3, BYTE + 0xa9]);
  t.deepEqual(Array.from(tok.encode('🧬')), [0xf0, 0x9f, 0xa7, 0xac].map((b) => BYTE + b));
  t.is(tok.decode(tok.encode('aé🧬b')), 'aé🧬b');
});

test('encode→decode is the identity on the training text and on unseen Unicode', (t) => {
  const texts = mobyDickSlice();
  const tok = CharTokenizer.fit(texts);
  for (const s of texts) t.is(tok.decode(tok.encode(s)), s);
  for (const s of UNSEEN) t.is(tok.decode(tok.encode(s)), s, JSON.stringify(s));
  const joined = UNSEEN.join('|');
  t.is(tok.decode(tok.encode(joined)), joined);
  t.is(tok.encode('').length, 0);
});

test('a lone surrogate (not valid Unicode) is read as U+FFFD', (t) => {
  const tok = CharTokenizer.fit(['abc']);
  t.is(tok.decode(tok.encode('a\uD800b')), 'a\uFFFDb');
});

test('without byte fallback unseen characters map to unk', (t) => {
  const tok = CharTokenizer.fit(['abc'], { byteFallback: false });
  t.is(tok.vocabSize, 4 + 3);
  t.deepEqual(Array.from(tok.encode('aźc')), [4, 1, 6]);
  t.is(tok.decode(tok.encode('aźc')), 'a<unk>c');
  t.is(tok.decode(tok.encode('aźc'), { skipSpecials: true }), 'ac');
});

test('maxVocab keeps the most frequent characters, ties to the lower code point', (t) => {
  // counts: c 3, a 2, b 2, d 1; room for 2 characters → c, then a (a < b).
  const tok = CharTokenizer.fit(['cacbcabd'], { maxVocab: 4 + 256 + 2 });
  t.deepEqual(tok.chars, ['a', 'c']);
  t.is(tok.decode(tok.encode('abcd')), 'abcd'); // b and d fall back to bytes
});

test('specials keep a fixed order whatever the option lists; decode writes or skips them', (t) => {
  const tok = CharTokenizer.fit(['ab'], { specials: ['eos', 'pad', 'bos', 'unk'] });
  t.deepEqual(tok.specials, { pad: 0, unk: 1, bos: 2, eos: 3 });
  const ids = [2, ...tok.encode('ab'), 3, 0];
  t.is(tok.decode(ids), '<bos>ab<eos><pad>');
  t.is(tok.decode(ids, { skipSpecials: true }), 'ab');
  const none = CharTokenizer.fit(['ab'], { specials: [] });
  t.deepEqual(none.specials, {});
  t.deepEqual(Array.from(none.encode('ab')), [256, 257]);
});

test('toJSON → fromJSON gives identical encodings; loadTokenizer dispatches on type', (t) => {
  const texts = mobyDickSlice(5000);
  const tok = CharTokenizer.fit(texts, { maxVocab: 300 });
  const json = JSON.parse(JSON.stringify(tok.toJSON()));
  const back = CharTokenizer.fromJSON(json);
  const viaLoad = loadTokenizer(json);
  t.true(viaLoad instanceof CharTokenizer);
  for (const s of [...texts, ...UNSEEN]) {
    t.deepEqual(back.encode(s), tok.encode(s));
    t.deepEqual(viaLoad.encode(s), tok.encode(s));
  }
  t.deepEqual(back.toJSON(), tok.toJSON());
});

test('malformed JSON and out-of-range ids fail with coded errors', (t) => {
  const tok = CharTokenizer.fit(['ab']);
  const bad = { ...tok.toJSON(), chars: ['ab'] };
  const e1 = t.throws(() => CharTokenizer.fromJSON(bad), { instanceOf: GraftError });
  t.regex(e1.message, /one code point/);
  t.throws(() => CharTokenizer.fromJSON({ ...tok.toJSON(), specials: ['eos', 'pad'] }), { message: /order/ });
  t.throws(() => loadTokenizer({ type: 'sentencepiece' }), { message: /char, byte-bpe, word/ });
  const e2 = t.throws(() => tok.decode([tok.vocabSize]), { instanceOf: GraftError });
  t.is(e2.code, ErrorCodes.DATA);
  t.regex(e2.message, /tokenizer:char/);
});

test('bad options name the option', (t) => {
  const e1 = t.throws(() => CharTokenizer.fit(['a'], { specials: ['pad', 'cls'] }), { instanceOf: GraftError });
  t.is(e1.code, ErrorCodes.BAD_OPTION);
  t.regex(e1.message, /option "specials"/);
  t.throws(() => CharTokenizer.fit(['a'], { maxVocab: 100 }), { message: /option "maxVocab".*>= 260/ });
  t.throws(() => CharTokenizer.fit(['a'], { byteFallback: false, specials: ['pad'] }), { message: /option "specials".*unk/ });
  t.throws(() => CharTokenizer.fit(['a'], { maxVocab: 1.5 }), { message: /option "maxVocab"/ });
});
