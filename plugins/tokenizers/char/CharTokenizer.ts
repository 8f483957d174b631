import type { SpecialToken, Tokenizer } from '../../../core/index.ts';
import { SPECIAL_ORDER, checkId, checkSpecials, expectJson, type DecodeOptions } from '../specials.ts';
import { IdBuffer, TextBuilder, utf8Encoder } from '../utf8.ts';
import { CHAR_TOKENIZER, resolveCharFitOptions, type CharFitOptions } from './options.ts';

export interface CharTokenizerJSON {
  type: 'char';
  version: 1;
  /** Special token names, in id order from 0. */
  specials: SpecialToken[];
  byteFallback: boolean;
  /** One code point each, in id order after the specials and byte tokens. */
  chars: string[];
  [k: string]: unknown;
}

const SPECIAL_TEXT: Record<SpecialToken, string> = {
  pad: '<pad>',
  unk: '<unk>',
  bos: '<bos>',
  eos: '<eos>',
  mask: '<mask>',
  sep: '<sep>',
};

const REPLACEMENT = 0xfffd;

/**
 * Character-level tokenizer over Unicode code points (an emoji is one character, not two UTF-16
 * units). Ids: the specials first (pad = 0), then 256 byte tokens `<0x00>`..`<0xFF>` when
 * `byteFallback` is on, then the characters seen at fit time in code-point order. A character
 * outside the vocabulary is written as its UTF-8 bytes (like SentencePiece's byte_fallback), so
 * `decode(encode(s)) === s` for every well-formed string; with `byteFallback: false` it maps to
 * `unk` instead. A JS string with a lone surrogate is not valid Unicode: it is treated as U+FFFD.
 */
export class CharTokenizer implements Tokenizer {
  readonly type = 'char';
  readonly vocabSize: number;
  readonly specials: Readonly<Partial<Record<SpecialToken, number>>>;
  readonly byteFallback: boolean;
  /** The characters of the vocabulary, in id order. */
  readonly chars: readonly string[];

  private readonly specialNames: readonly SpecialToken[];
  /** Id of the first byte token, or -1 without byte fallback. */
  private readonly byteBase: number;
  private readonly charBase: number;
  /** BMP code unit → id (or -1): the hot path of encode, one array read per character. */
  private readonly bmp = new Int32Array(0x10000).fill(-1);
  private readonly astral = new Map<number, number>();
  private readonly tokenIds = new Map<string, number>();

  constructor(init: { chars: readonly string[]; specials: readonly SpecialToken[]; byteFallback: boolean }) {
    this.specialNames = checkSpecials(CHAR_TOKENIZER, 'specials', init.specials);
    // The listed order is the id order: refuse a reordered list rather than silently renumber.
    expectJson(this.specialNames.join() === init.specials.join(), 'char', `"specials" must be in the order ${SPECIAL_ORDER.join(', ')}`, init.specials);
    this.byteFallback = init.byteFallback;
    if (!this.byteFallback && !this.specialNames.includes('unk')) {
      expectJson(false, 'char', 'without byteFallback the specials must include "unk"', init.specials);
    }
    this.chars = [...init.chars];
    const specials: Partial<Record<SpecialToken, number>> = {};
    this.specialNames.forEach((s, i) => {
      specials[s] = i;
      this.tokenIds.set(SPECIAL_TEXT[s], i);
    });
    this.specials = Object.freeze(specials);
    this.byteBase = this.byteFallback ? this.specialNames.length : -1;
    if (this.byteFallback) for (let b = 0; b < 256; b++) this.tokenIds.set(byteToken(b), this.byteBase + b);
    this.charBase = this.specialNames.length + (this.byteFallback ? 256 : 0);
    this.chars.forEach((c, i) => {
      const cp = c.codePointAt(0) ?? -1;
      expectJson(cp >= 0 && !isSurrogate(cp) && String.fromCodePoint(cp) === c, 'char', 'each entry of "chars" must be one code point', c);
      const id = this.charBase + i;
      expectJson(!this.tokenIds.has(c), 'char', 'characters must be unique', c);
      if (cp < 0x10000) this.bmp[cp] = id;
      else this.astral.set(cp, id);
      this.tokenIds.set(c, id);
    });
    this.vocabSize = this.charBase + this.chars.length;
  }

  /** Build the vocabulary from texts: every code point seen, or the `maxVocab` most frequent. */
  static fit(texts: Iterable<string>, options: Partial<CharFitOptions> | Record<string, unknown> = {}): CharTokenizer {
    const o = resolveCharFitOptions(options as Record<string, unknown>);
    const counts = countCodePoints(texts);
    let cps = [...counts.keys()];
    if (o.maxVocab !== undefined) {
      const room = o.maxVocab - o.specials.length - (o.byteFallback ? 256 : 0);
      // Most frequent first; ties by code point so the cut is deterministic.
      cps.sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
      cps = cps.slice(0, room);
    }
    cps.sort((a, b) => a - b);
    return new CharTokenizer({ chars: cps.map((c) => String.fromCodePoint(c)), specials: o.specials, byteFallback: o.byteFallback });
  }

  encode(text: string): Int32Array {
    const out = new IdBuffer(text.length);
    const n = text.length;
    for (let i = 0; i < n; i++) {
      let cp = text.charCodeAt(i);
      let id: number;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = (cp - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (isSurrogate(cp)) cp = REPLACEMENT;
      if (cp < 0x10000) id = this.bmp[cp]!;
      else id = this.astral.get(cp) ?? -1;
      if (id >= 0) out.push(id);
      else this.encodeUnknown(cp, out);
    }
    return out.toArray();
  }

  private encodeUnknown(cp: number, out: IdBuffer): void {
    if (!this.byteFallback) {
      out.push(this.specials.unk!);
      return;
    }
    for (const b of utf8Encoder.encode(String.fromCodePoint(cp))) out.push(this.byteBase + b);
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const out = new TextBuilder();
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      checkId(this.type, id, this.vocabSize);
      if (id >= this.charBase) out.pushString(this.chars[id - this.charBase]!);
      else if (this.byteBase >= 0 && id >= this.byteBase) out.pushByte(id - this.byteBase);
      else if (!opts.skipSpecials) out.pushString(SPECIAL_TEXT[this.specialNames[id]!]);
    }
    return out.toString();
  }

  idToToken(id: number): string {
    checkId(this.type, id, this.vocabSize);
    if (id >= this.charBase) return this.chars[id - this.charBase]!;
    if (this.byteBase >= 0 && id >= this.byteBase) return byteToken(id - this.byteBase);
    return SPECIAL_TEXT[this.specialNames[id]!];
  }

  tokenToId(token: string): number | undefined {
    return this.tokenIds.get(token);
  }

  toJSON(): CharTokenizerJSON {
    return { type: 'char', version: 1, specials: [...this.specialNames], byteFallback: this.byteFallback, chars: [...this.chars] };
  }

  static fromJSON(json: unknown): CharTokenizer {
    const j = json as Partial<CharTokenizerJSON> | null;
    expectJson(typeof j === 'object' && j !== null, 'char', 'expected an object', json);
    expectJson(j.type === 'char', 'char', 'field "type" must be "char"', j.type);
    expectJson(j.version === 1, 'char', 'field "version" must be 1', j.version);
    expectJson(Array.isArray(j.specials) && j.specials.every((s) => typeof s === 'string'), 'char', 'field "specials" must be an array of names', j.specials);
    expectJson(typeof j.byteFallback === 'boolean', 'char', 'field "byteFallback" must be a boolean', j.byteFallback);
    expectJson(Array.isArray(j.chars) && j.chars.every((c) => typeof c === 'string'), 'char', 'field "chars" must be an array of strings');
    return new CharTokenizer({ chars: j.chars, specials: j.specials, byteFallback: j.byteFallback });
  }
}

function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

function isSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff;
}

/** Code point frequencies over texts; lone surrogates count as U+FFFD, as encode sees them. */
function countCodePoints(texts: Iterable<string>): Map<number, number> {
  const bmp = new Float64Array(0x10000);
  const counts = new Map<number, number>();
  for (const text of texts) {
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const cp = text.codePointAt(i)!;
      if (cp >= 0x10000) {
        counts.set(cp, (counts.get(cp) ?? 0) + 1);
        i++;
      } else {
        bmp[isSurrogate(cp) ? REPLACEMENT : cp]!++;
      }
    }
  }
  for (let cp = 0; cp < 0x10000; cp++) if (bmp[cp]! > 0) counts.set(cp, bmp[cp]!);
  return counts;
}
