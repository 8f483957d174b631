import test from 'ava';
import { ErrorCodes, GraftError } from '../../../core/index.ts';
import { WORD_SPECIALS, WordTokenizer, loadTokenizer } from '../../../plugins/tokenizers/index.ts';
import { splitWords } from '../../../plugins/tokenizers/word/splitWords.ts';
import { mobyDickSlice } from './corpus.ts';

const TEXTS = ['The whale! the WHALE, a whale.', 'A ship; the sea.'];
// Lower-cased counts: the 3, whale 3, a 2, "." 2, and once each: "!", ",", ";", sea, ship.

test('vocabulary: fastai specials, then words with count >= minFreq by frequency, ties alphabetical', (t) => {
  const tok = WordTokenizer.fit(TEXTS);
  t.deepEqual(WORD_SPECIALS, ['xxunk', 'xxpad', 'xxbos', 'xxeos', 'xxmaj', 'xxup']);
  t.deepEqual(tok.specials, { unk: 0, pad: 1, bos: 2, eos: 3 });
  // count 3: the < whale; count 2: "." (U+002E) < a.
  t.deepEqual(tok.words, ['the', 'whale', '.', 'a']);
  t.is(tok.vocabSize, 10);
  t.is(tok.tokenToId('whale'), 7);
  t.is(tok.tokenToId('xxmaj'), 4);
  t.is(tok.idToToken(9), 'a');
  const all = WordTokenizer.fit(TEXTS, { minFreq: 1 });
  t.deepEqual(all.words, ['the', 'whale', '.', 'a', '!', ',', ';', 'sea', 'ship']);
  const capped = WordTokenizer.fit(TEXTS, { maxVocab: 8 });
  t.deepEqual(capped.words, ['the', 'whale']);
});

test('xxmaj and xxup mark case; unknown words become xxunk', (t) => {
  const tok = WordTokenizer.fit(TEXTS);
  t.deepEqual(Array.from(tok.encode('The whale!')), [4, 6, 7, 0]);
  t.deepEqual(Array.from(tok.encode('THE WHALE.')), [5, 6, 5, 7, 8]);
  t.is(tok.decode([4, 6, 7, 8]), 'The whale.');
  t.is(tok.decode([5, 7, 0]), 'WHALE xxunk');
  // A case marker before an unknown word has nothing to apply to.
  t.is(tok.decode(tok.encode('The Pequod.')), 'The xxunk.');
  t.is(tok.decode([2, 4, 6, 3, 1], { skipSpecials: true }), 'The');
  t.is(tok.decode([2, 6, 3]), 'xxbos the xxeos');
});

test('known text round-trips up to spacing rules; mixed case is lost (documented)', (t) => {
  const tok = WordTokenizer.fit(TEXTS, { minFreq: 1 });
  const s = 'The whale. A whale, the WHALE!';
  t.is(tok.decode(tok.encode(s)), s);
  t.is(tok.decode(tok.encode('the   whale\n\nthe sea')), 'the whale the sea');
  const mixed = WordTokenizer.fit(['McDonald mcdonald']);
  t.is(mixed.decode(mixed.encode('McDonald')), 'mcdonald');
});

test('Unicode words, contractions and punctuation split by the regex; spacing rules on decode', (t) => {
  t.deepEqual(splitWords("Don't stop—the whale's (huge) tail…"), ["Don't", 'stop', '—', 'the', "whale's", '(', 'huge', ')', 'tail', '…']);
  t.deepEqual(splitWords('移植学习 Élan café'), ['移植学习', 'Élan', 'café']);
  const tok = WordTokenizer.fit(['(huge) (huge) Élan élan ÉLAN tail… tail…'], { minFreq: 1 });
  t.deepEqual(Array.from(tok.encode('Élan ÉLAN')), [4, tok.tokenToId('élan')!, 5, tok.tokenToId('élan')!]);
  t.is(tok.decode(tok.encode('(huge) Élan ÉLAN tail…')), '(huge) Élan ÉLAN tail…');
});

test('special names written in text are ordinary (unknown) words', (t) => {
  const tok = WordTokenizer.fit(['xxbos xxbos hello hello']);
  t.deepEqual(tok.words, ['hello']);
  t.deepEqual(Array.from(tok.encode('xxbos hello')), [0, 6]);
});

test('without lowercase, case is part of the word and no markers are written', (t) => {
  const tok = WordTokenizer.fit(['The the The the'], { lowercase: false });
  t.deepEqual(tok.words, ['The', 'the']);
  t.deepEqual(Array.from(tok.encode('the The THE')), [7, 6, 0]);
});

test('toJSON → fromJSON gives identical encodings; loadTokenizer dispatches on type', (t) => {
  const texts = mobyDickSlice(10_000);
  const tok = WordTokenizer.fit(texts);
  const json = JSON.parse(JSON.stringify(tok.toJSON()));
  const back = WordTokenizer.fromJSON(json);
  const viaLoad = loadTokenizer(json);
  t.true(viaLoad instanceof WordTokenizer);
  for (const s of texts) {
    t.deepEqual(back.encode(s), tok.encode(s));
    t.deepEqual(viaLoad.encode(s), tok.encode(s));
  }
  t.throws(() => WordTokenizer.fromJSON({ ...json, words: ['a', 'a'] }), { instanceOf: GraftError, message: /unique/ });
});

test('bad options name the option', (t) => {
  const e = t.throws(() => WordTokenizer.fit(['a'], { minFreq: 0 }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_OPTION);
  t.regex(e.message, /tokenizer:word.*option "minFreq"/);
  t.throws(() => WordTokenizer.fit(['a'], { maxVocab: 5 }), { message: /option "maxVocab"/ });
  t.throws(() => WordTokenizer.fit(['a'], { lowercase: 'yes' }), { message: /option "lowercase"/ });
});
