import test from 'ava';
import { ErrorCodes, GraftError, Rng } from '../../../core/index.ts';
import { ByteBpeTokenizer, GPT2_PATTERN, applyMerges, learnMerges, loadTokenizer } from '../../../plugins/tokenizers/index.ts';
import { compilePattern, countPieces, forEachPiece } from '../../../plugins/tokenizers/byte-bpe/pretokenize.ts';
import { pairKey } from '../../../plugins/tokenizers/byte-bpe/pairKey.ts';
import { UNSEEN, mobyDickSlice } from './corpus.ts';

const enc = new TextEncoder();
const NO_SPECIALS = { specials: [] as string[] };

test('the classic "aaabdaaabac": first merges computed by hand', (t) => {
  // One pre-token (all letters). Bytes: a=97 b=98 c=99 d=100.
  // Pairs of a a a b d a a a b a c: aa 4 (overlaps count), ab 2, bd 1, da 1, ba 1, ac 1.
  //   merge 0: (97,97) → 256 "aa"; "aaa" merges left to right → Z a, so the word is
  //            Z a b d Z a b a c.
  // Pairs now: (256,97) 2, (97,98) 2, (98,100) 1, (100,256) 1, (98,97) 1, (97,99) 1.
  //   merge 1: tie at 2 between (256,97) and (97,98): the lower pair wins → (97,98) → 257 "ab";
  //            word Z Y d Z Y a c with Y = 257.
  // Pairs: (256,257) 2, the rest 1.
  //   merge 2: (256,257) → 258 "aaab"; word X d X a c with X = 258.
  // Every remaining pair occurs once: with minFrequency 2 training stops here.
  const tok = ByteBpeTokenizer.fit(['aaabdaaabac'], { vocabSize: 600, ...NO_SPECIALS });
  t.deepEqual(tok.merges, [[97, 97], [97, 98], [256, 257]]);
  t.is(tok.vocabSize, 259);
  t.deepEqual(Array.from(tok.encode('aaabdaaabac')), [258, 100, 258, 97, 99]);
  t.deepEqual(Array.from(tok.encode('aaaa')), [256, 256]);
  // b a a a b a → b Z a b a → b Z Y a → b X a
  t.deepEqual(Array.from(tok.encode('baaaba')), [98, 258, 97]);
  t.is(tok.idToToken(258), 'aaab');
  // With minFrequency 1 the next merge is the lowest of the pairs seen once:
  // (258,100), (100,258), (258,97), (97,99) → (97,99) "ac".
  const more = ByteBpeTokenizer.fit(['aaabdaaabac'], { vocabSize: 260, minFrequency: 1, ...NO_SPECIALS });
  t.deepEqual(more.merges, [[97, 97], [97, 98], [256, 257], [97, 99]]);
  t.deepEqual(Array.from(more.encode('aaabdaaabac')), [258, 100, 258, 259]);
});

test('merges never cross pre-token boundaries', (t) => {
  // Pieces: "ab" ×1, " ab" ×2. Pairs: (a,b) 3, (space,a) 2. The raw text has "b " twice but
  // no piece does. merge 0: (97,98) → 256; then " ab" = (32,256) ×2 → merge 1; nothing is left.
  const tok = ByteBpeTokenizer.fit(['ab ab ab'], { vocabSize: 300, minFrequency: 1, ...NO_SPECIALS });
  t.deepEqual(tok.merges, [[97, 98], [32, 256]]);
  t.deepEqual(Array.from(tok.encode('ab ab')), [256, 257]);
  t.is(tok.idToToken(257), 'Ġab');
  t.is(tok.tokenToId('Ġab'), 257);
});

test('GPT-2 pre-tokenization: words with a leading space, numbers, punctuation, whitespace', (t) => {
  const pieces: string[] = [];
  forEachPiece("Hello, world! 123  x's\n\n", compilePattern(GPT2_PATTERN), (p) => pieces.push(p));
  t.deepEqual(pieces, ['Hello', ',', ' world', '!', ' 123', ' ', ' x', "'s", '\n\n']);
  // Text a pattern does not match still becomes pieces, so nothing is lost.
  const kept: string[] = [];
  forEachPiece('ab12cd', /\d+/gu, (p) => kept.push(p));
  t.deepEqual(kept, ['ab', '12', 'cd']);
});

test('vocabSize counts bytes, merges and specials; specials come after the merges', (t) => {
  const tok = ByteBpeTokenizer.fit(mobyDickSlice(), { vocabSize: 512 });
  t.is(tok.vocabSize, 512);
  t.is(tok.merges.length, 512 - 256 - 3);
  t.deepEqual(tok.specials, { pad: 509, bos: 510, eos: 511 });
  t.is(tok.idToToken(511), '<|endoftext|>');
  t.is(tok.idToToken(32), 'Ġ');
});

test('encode→decode is the identity on the training text and on unseen Unicode', (t) => {
  const texts = mobyDickSlice();
  const tok = ByteBpeTokenizer.fit(texts, { vocabSize: 512 });
  for (const s of texts) {
    const ids = tok.encode(s);
    t.is(tok.decode(ids), s);
    t.true(ids.length < enc.encode(s).length / 2, 'merges compress English text');
  }
  for (const s of UNSEEN) t.is(tok.decode(tok.encode(s)), s, JSON.stringify(s));
  const joined = UNSEEN.join(' ');
  t.is(tok.decode(tok.encode(joined)), joined);
  // Unseen characters are their bytes: 🧬 = F0 9F A7 AC.
  t.deepEqual(Array.from(tok.encode('🧬')), [0xf0, 0x9f, 0xa7, 0xac]);
});

test('special token strings in text are plain text unless allowSpecialInText', (t) => {
  const texts = ['a b c a b c'];
  const plain = ByteBpeTokenizer.fit(texts, { vocabSize: 262 });
  const eos = plain.specials.eos!;
  const ids = plain.encode('x<|endoftext|>y');
  t.false(Array.from(ids).includes(eos));
  t.is(plain.decode(ids), 'x<|endoftext|>y');
  const allowed = ByteBpeTokenizer.fit(texts, { vocabSize: 262, allowSpecialInText: true });
  t.deepEqual(Array.from(allowed.encode('x<|endoftext|>y<|pad|>')), [120, eos, 121, allowed.specials.pad!]);
  t.is(allowed.decode(allowed.encode('x<|endoftext|>y')), 'x<|endoftext|>y');
  t.is(allowed.decode([120, eos, 121], { skipSpecials: true }), 'xy');
});

test('decode turns an invalid byte sequence into U+FFFD instead of throwing', (t) => {
  const tok = ByteBpeTokenizer.fit(['ab'], { vocabSize: 259 });
  t.is(tok.decode([0xff, 97]), '\uFFFDa');
  t.throws(() => tok.decode([-1]), { instanceOf: GraftError, message: /tokenizer:byte-bpe.*\[0, 259\)/ });
});

/** GPT-2's reference encoder: merge the lowest-rank pair everywhere, rescan, repeat. */
function naiveApply(bytes: number[], merges: ReadonlyArray<readonly [number, number]>): number[] {
  let s = bytes.slice();
  const rank = new Map(merges.map(([a, b], i) => [`${a},${b}`, i]));
  for (;;) {
    let best = -1;
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank.get(`${s[i]},${s[i + 1]}`);
      if (r !== undefined && (best < 0 || r < best)) best = r;
    }
    if (best < 0) return s;
    const [a, b] = merges[best]!;
    const out: number[] = [];
    for (let i = 0; i < s.length; i++) {
      if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
        out.push(256 + best);
        i++;
      } else out.push(s[i]!);
    }
    s = out;
  }
}

/** Reference trainer: recount every pair from scratch before each merge. */
function naiveLearn(pieces: Map<string, number>, numMerges: number, minFrequency: number): Array<[number, number]> {
  let words = [...pieces].map(([p, c]) => ({ s: Array.from(enc.encode(p)), c }));
  const merges: Array<[number, number]> = [];
  while (merges.length < numMerges) {
    const counts = new Map<number, number>();
    for (const { s, c } of words) for (let i = 0; i + 1 < s.length; i++) counts.set(pairKey(s[i]!, s[i + 1]!), (counts.get(pairKey(s[i]!, s[i + 1]!)) ?? 0) + c);
    let bestKey = -1;
    let bestCount = 0;
    for (const [k, c] of counts) if (c > bestCount || (c === bestCount && k < bestKey)) [bestKey, bestCount] = [k, c];
    if (bestKey < 0 || bestCount < minFrequency) break;
    const pair: [number, number] = [Math.floor(bestKey / 2 ** 21), bestKey % 2 ** 21];
    merges.push(pair);
    const z = 256 + merges.length - 1;
    words = words.map(({ s, c }) => {
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === pair[0] && s[i + 1] === pair[1]) {
          out.push(z);
          i++;
        } else out.push(s[i]!);
      }
      return { s: out, c };
    });
  }
  return merges;
}

test('incremental training learns exactly the merges of a full recount per merge', (t) => {
  const texts = mobyDickSlice(4000);
  const pieces = countPieces(texts, compilePattern(GPT2_PATTERN));
  for (const minFrequency of [1, 2]) {
    t.deepEqual(learnMerges(pieces, 150, minFrequency), naiveLearn(pieces, 150, minFrequency), `minFrequency ${minFrequency}`);
  }
});

test('heap-based encoding equals the rescanning reference on random and repetitive bytes', (t) => {
  const tok = ByteBpeTokenizer.fit(mobyDickSlice(8000), { vocabSize: 400, ...NO_SPECIALS });
  const ranks = new Map(tok.merges.map(([a, b], i) => [pairKey(a, b), i]));
  const rng = new Rng(7);
  const alphabet = enc.encode(' etaoinshrdlu,.');
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(40);
    const bytes = Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]!);
    t.deepEqual(Array.from(applyMerges(bytes, ranks)), naiveApply(bytes, tok.merges));
  }
  const runs = [Array(33).fill(97), Array.from(enc.encode(' the the the the thethe'))];
  for (const bytes of runs) t.deepEqual(Array.from(applyMerges(bytes, ranks)), naiveApply(bytes, tok.merges));
});

test('toJSON → fromJSON gives identical encodings; loadTokenizer dispatches on type', (t) => {
  const texts = mobyDickSlice(8000);
  const tok = ByteBpeTokenizer.fit(texts, { vocabSize: 400, specials: ['pad', 'unk', 'bos', 'eos', 'mask', 'sep'] });
  const json = JSON.parse(JSON.stringify(tok.toJSON()));
  const back = ByteBpeTokenizer.fromJSON(json);
  const viaLoad = loadTokenizer(json);
  t.true(viaLoad instanceof ByteBpeTokenizer);
  for (const s of [...texts, ...UNSEEN]) {
    t.deepEqual(back.encode(s), tok.encode(s));
    t.deepEqual(viaLoad.encode(s), tok.encode(s));
  }
  t.deepEqual(back.specials, tok.specials);
  t.is(back.vocabSize, 400);
});

test('malformed JSON fails with a coded error naming what is wrong', (t) => {
  const json = ByteBpeTokenizer.fit(['ab ab'], { vocabSize: 260 }).toJSON();
  const e = t.throws(() => ByteBpeTokenizer.fromJSON({ ...json, merges: [[97, 300]] }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.DATA);
  t.regex(e.message, /merge 0 must join two earlier ids/);
  t.throws(() => ByteBpeTokenizer.fromJSON({ ...json, merges: [[97, 98], [97, 98]] }), { message: /repeats merge 0/ });
  t.throws(() => ByteBpeTokenizer.fromJSON({ ...json, version: 2 }), { message: /"version"/ });
});

test('bad options name the option', (t) => {
  const e = t.throws(() => ByteBpeTokenizer.fit(['a'], { vocabSize: 258 }), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.BAD_OPTION);
  t.regex(e.message, /option "vocabSize".*>= 259/);
  t.throws(() => ByteBpeTokenizer.fit(['a'], { minFrequency: 0 }), { message: /option "minFrequency"/ });
  t.throws(() => ByteBpeTokenizer.fit(['a'], { specials: ['eos', 'eos'] }), { message: /option "specials"/ });
  t.throws(() => ByteBpeTokenizer.fit(['a'], { vocab: 300 }), { message: /option "vocab".*unknown option/ });
});
