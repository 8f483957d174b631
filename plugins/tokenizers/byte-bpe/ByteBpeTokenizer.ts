import type { SpecialToken, Tokenizer } from '../../../core/index.ts';
import { SPECIAL_ORDER, checkId, checkSpecials, expectJson, type DecodeOptions } from '../specials.ts';
import { IdBuffer, TextBuilder, utf8Encoder } from '../utf8.ts';
import { applyMerges } from './applyMerges.ts';
import { bytesToString } from './bytesToUnicode.ts';
import { learnMerges } from './learnMerges.ts';
import { resolveByteBpeFitOptions, type ByteBpeFitOptions } from './options.ts';
import { pairKey } from './pairKey.ts';
import { GPT2_PATTERN, compilePattern, countPieces, forEachPiece } from './pretokenize.ts';

export interface ByteBpeTokenizerJSON {
  type: 'byte-bpe';
  version: 1;
  /** Pre-tokenization regex source (flags `gu`). */
  pattern: string;
  /** Merge i joins ids [a, b] into id 256 + i. */
  merges: Array<[number, number]>;
  /** Special token names, ids 256 + merges.length onwards in this order. */
  specials: SpecialToken[];
  allowSpecialInText: boolean;
  [k: string]: unknown;
}

/** GPT-2 spells its end-of-text token this way; the other specials follow the same style. */
const SPECIAL_TEXT: Record<SpecialToken, string> = {
  pad: '<|pad|>',
  unk: '<|unk|>',
  bos: '<|bos|>',
  eos: '<|endoftext|>',
  mask: '<|mask|>',
  sep: '<|sep|>',
};

/** Encoded pre-tokens kept per tokenizer; cleared when full so memory stays bounded. */
const CACHE_LIMIT = 100_000;

/**
 * Byte-level BPE as in GPT-2. The base vocabulary is the 256 byte values, so every string
 * round-trips exactly (emoji, CJK, text never seen in training). Text is first split by a
 * GPT-2-like regex into words, numbers, punctuation and whitespace; merges apply within those
 * pieces, by rank. Ids: 0-255 bytes, 256.. learned merges, then the specials. Special token
 * strings in text are plain text unless `allowSpecialInText` is set.
 */
export class ByteBpeTokenizer implements Tokenizer {
  readonly type = 'byte-bpe';
  readonly vocabSize: number;
  readonly specials: Readonly<Partial<Record<SpecialToken, number>>>;
  readonly merges: ReadonlyArray<readonly [number, number]>;
  readonly pattern: string;
  readonly allowSpecialInText: boolean;

  private readonly specialNames: readonly SpecialToken[];
  private readonly specialBase: number;
  private readonly ranks = new Map<number, number>();
  private readonly tokenBytes: Uint8Array[] = [];
  private readonly re: RegExp;
  /** Matches any special token string, longest first; only when `allowSpecialInText`. */
  private readonly specialRe: RegExp | undefined;
  private readonly specialByText = new Map<string, number>();
  private readonly cache = new Map<string, Int32Array>();
  private tokenIds: Map<string, number> | undefined;

  constructor(init: { merges: ReadonlyArray<readonly [number, number]>; specials: readonly SpecialToken[]; allowSpecialInText?: boolean; pattern?: string }) {
    this.specialNames = checkSpecials('tokenizer:byte-bpe', 'specials', init.specials);
    expectJson(this.specialNames.join() === init.specials.join(), 'byte-bpe', `"specials" must be in the order ${SPECIAL_ORDER.join(', ')}`, init.specials);
    this.allowSpecialInText = init.allowSpecialInText ?? false;
    this.pattern = init.pattern ?? GPT2_PATTERN;
    try {
      this.re = compilePattern(this.pattern);
    } catch (e) {
      expectJson(false, 'byte-bpe', `"pattern" is not a valid regular expression (${(e as Error).message})`, this.pattern);
    }
    for (let b = 0; b < 256; b++) this.tokenBytes.push(Uint8Array.of(b));
    this.merges = init.merges.map(([a, b], i) => {
      const id = 256 + i;
      const ok = Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < id && b < id;
      expectJson(ok, 'byte-bpe', `merge ${i} must join two earlier ids (< ${id})`, [a, b]);
      const key = pairKey(a, b);
      expectJson(!this.ranks.has(key), 'byte-bpe', `merge ${i} repeats merge ${this.ranks.get(key)}`, [a, b]);
      this.ranks.set(key, i);
      const ta = this.tokenBytes[a]!;
      const tb = this.tokenBytes[b]!;
      const joined = new Uint8Array(ta.length + tb.length);
      joined.set(ta);
      joined.set(tb, ta.length);
      this.tokenBytes.push(joined);
      return [a, b] as const;
    });
    this.specialBase = 256 + this.merges.length;
    const specials: Partial<Record<SpecialToken, number>> = {};
    this.specialNames.forEach((s, i) => {
      specials[s] = this.specialBase + i;
      this.specialByText.set(SPECIAL_TEXT[s], this.specialBase + i);
    });
    this.specials = Object.freeze(specials);
    this.vocabSize = this.specialBase + this.specialNames.length;
    if (this.allowSpecialInText && this.specialNames.length > 0) {
      const alts = this.specialNames.map((s) => SPECIAL_TEXT[s]).sort((x, y) => y.length - x.length);
      this.specialRe = new RegExp(alts.map(escapeRegExp).join('|'), 'g');
    }
  }

  /** Learn merges on texts until `vocabSize` (bytes + merges + specials) or no pair is frequent enough. */
  static fit(texts: Iterable<string>, options: Partial<ByteBpeFitOptions> | Record<string, unknown> = {}): ByteBpeTokenizer {
    const o = resolveByteBpeFitOptions(options as Record<string, unknown>);
    const pieces = countPieces(texts, compilePattern(GPT2_PATTERN));
    const merges = learnMerges(pieces, o.vocabSize - 256 - o.specials.length, o.minFrequency);
    return new ByteBpeTokenizer({ merges, specials: o.specials, allowSpecialInText: o.allowSpecialInText, pattern: GPT2_PATTERN });
  }

  encode(text: string): Int32Array {
    const out = new IdBuffer(Math.ceil(text.length / 3) + 16);
    if (this.specialRe === undefined) {
      this.encodeOrdinary(text, out);
      return out.toArray();
    }
    const re = this.specialRe;
    re.lastIndex = 0;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      this.encodeOrdinary(text.slice(last, m.index), out);
      out.push(this.specialByText.get(m[0])!);
      last = m.index + m[0].length;
    }
    this.encodeOrdinary(text.slice(last), out);
    return out.toArray();
  }

  private encodeOrdinary(text: string, out: IdBuffer): void {
    if (text.length === 0) return;
    forEachPiece(text, this.re, (piece) => out.pushAll(this.encodePiece(piece)));
  }

  private encodePiece(piece: string): Int32Array {
    let ids = this.cache.get(piece);
    if (ids === undefined) {
      ids = applyMerges(utf8Encoder.encode(piece), this.ranks);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(piece, ids);
    }
    return ids;
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const out = new TextBuilder();
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      checkId(this.type, id, this.vocabSize);
      if (id < this.specialBase) out.pushBytes(this.tokenBytes[id]!);
      // The bytes before a special are decoded on their own: a special never glues to a character.
      else if (!opts.skipSpecials) out.pushString(SPECIAL_TEXT[this.specialNames[id - this.specialBase]!]);
    }
    return out.toString();
  }

  /** The UTF-8 bytes a token stands for (empty for a special). */
  tokenToBytes(id: number): Uint8Array {
    checkId(this.type, id, this.vocabSize);
    return id < this.specialBase ? this.tokenBytes[id]!.slice() : new Uint8Array(0);
  }

  /** GPT-2's printable spelling of the token's bytes ("Ġthe"), or the special's string. */
  idToToken(id: number): string {
    checkId(this.type, id, this.vocabSize);
    if (id < this.specialBase) return bytesToString(this.tokenBytes[id]!);
    return SPECIAL_TEXT[this.specialNames[id - this.specialBase]!];
  }

  /** Inverse of `idToToken`; if two merges spell the same bytes, the lower id. */
  tokenToId(token: string): number | undefined {
    if (this.tokenIds === undefined) {
      const map = new Map<string, number>();
      for (let id = this.vocabSize - 1; id >= 0; id--) map.set(this.idToToken(id), id);
      this.tokenIds = map;
    }
    return this.tokenIds.get(token);
  }

  toJSON(): ByteBpeTokenizerJSON {
    return {
      type: 'byte-bpe',
      version: 1,
      pattern: this.pattern,
      merges: this.merges.map(([a, b]) => [a, b]),
      specials: [...this.specialNames],
      allowSpecialInText: this.allowSpecialInText,
    };
  }

  static fromJSON(json: unknown): ByteBpeTokenizer {
    const j = json as Partial<ByteBpeTokenizerJSON> | null;
    expectJson(typeof j === 'object' && j !== null, 'byte-bpe', 'expected an object', json);
    expectJson(j.type === 'byte-bpe', 'byte-bpe', 'field "type" must be "byte-bpe"', j.type);
    expectJson(j.version === 1, 'byte-bpe', 'field "version" must be 1', j.version);
    expectJson(typeof j.pattern === 'string', 'byte-bpe', 'field "pattern" must be a string', j.pattern);
    expectJson(Array.isArray(j.merges) && j.merges.every((m) => Array.isArray(m) && m.length === 2), 'byte-bpe', 'field "merges" must be an array of [a, b] pairs');
    expectJson(Array.isArray(j.specials) && j.specials.every((s) => typeof s === 'string'), 'byte-bpe', 'field "specials" must be an array of names', j.specials);
    expectJson(typeof j.allowSpecialInText === 'boolean', 'byte-bpe', 'field "allowSpecialInText" must be a boolean', j.allowSpecialInText);
    return new ByteBpeTokenizer({ merges: j.merges, specials: j.specials, allowSpecialInText: j.allowSpecialInText, pattern: j.pattern });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
