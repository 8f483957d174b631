import type { SpecialToken, Tokenizer } from '../../../core/index.ts';
import { checkId, expectJson, type DecodeOptions } from '../specials.ts';
import { IdBuffer } from '../utf8.ts';
import { resolveWordFitOptions, type WordFitOptions } from './options.ts';
import { applyCase, caseOf, joinWords, splitWords, type WordCase } from './splitWords.ts';

export interface WordTokenizerJSON {
  type: 'word';
  version: 1;
  lowercase: boolean;
  /** The words, in id order after the specials. */
  words: string[];
  [k: string]: unknown;
}

/** fastai's special tokens, ids 0-5 in this order. */
export const WORD_SPECIALS = ['xxunk', 'xxpad', 'xxbos', 'xxeos', 'xxmaj', 'xxup'] as const;
const UNK = 0;
const MAJ = 4;
const UP = 5;
const FIRST_WORD = WORD_SPECIALS.length;

/**
 * Word-level tokenizer for ULMFiT-style models and models initialised from word vectors (GloVe).
 * Splits words and punctuation with a Unicode regex; with `lowercase`, a capitalised word is
 * written `xxmaj word` and an all-caps word `xxup word`, so decode restores their case.
 * Vocabulary: the specials (xxunk = 0, xxpad, xxbos, xxeos, xxmaj, xxup), then words seen at
 * least `minFreq` times, most frequent first (ties alphabetical), up to `maxVocab` in all.
 *
 * Lossy by design: unknown words become xxunk, spacing is re-created by rule on decode (single
 * spaces, none before closing punctuation), and mixed-case words ("McDonald") come back
 * lower-cased. Special names written in the text ("xxbos") are ordinary words, i.e. xxunk.
 */
export class WordTokenizer implements Tokenizer {
  readonly type = 'word';
  readonly vocabSize: number;
  readonly specials: Readonly<Partial<Record<SpecialToken, number>>> = Object.freeze({ unk: 0, pad: 1, bos: 2, eos: 3 });
  readonly lowercase: boolean;
  /** The words of the vocabulary, in id order after the specials. */
  readonly words: readonly string[];
  private readonly ids = new Map<string, number>();

  constructor(init: { words: readonly string[]; lowercase: boolean }) {
    this.lowercase = init.lowercase;
    this.words = [...init.words];
    this.words.forEach((w, i) => {
      expectJson(w.length > 0 && !this.ids.has(w) && !(WORD_SPECIALS as readonly string[]).includes(w), 'word', 'words must be non-empty, unique and not special tokens', w);
      this.ids.set(w, FIRST_WORD + i);
    });
    this.vocabSize = FIRST_WORD + this.words.length;
  }

  static fit(texts: Iterable<string>, options: Partial<WordFitOptions> | Record<string, unknown> = {}): WordTokenizer {
    const o = resolveWordFitOptions(options as Record<string, unknown>);
    const counts = new Map<string, number>();
    const specials = new Set<string>(WORD_SPECIALS);
    for (const text of texts) {
      for (const t of splitWords(text)) {
        const w = o.lowercase ? t.toLowerCase() : t;
        if (!specials.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
    }
    const words = [...counts.entries()]
      .filter(([, c]) => c >= o.minFreq)
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, o.maxVocab - FIRST_WORD)
      .map(([w]) => w);
    return new WordTokenizer({ words, lowercase: o.lowercase });
  }

  encode(text: string): Int32Array {
    const out = new IdBuffer(text.length / 4 + 16);
    for (const t of splitWords(text)) {
      if (this.lowercase) {
        const c = caseOf(t);
        if (c === 'capitalised') out.push(MAJ);
        else if (c === 'upper') out.push(UP);
        out.push(this.ids.get(t.toLowerCase()) ?? UNK);
      } else {
        out.push(this.ids.get(t) ?? UNK);
      }
    }
    return out.toArray();
  }

  /** Words joined by the spacing rules; xxmaj/xxup are applied to the next word, not written. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const tokens: string[] = [];
    let pending: WordCase = 'lower';
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      checkId(this.type, id, this.vocabSize);
      if (id === MAJ) pending = 'capitalised';
      else if (id === UP) pending = 'upper';
      else if (id >= FIRST_WORD) {
        tokens.push(applyCase(this.words[id - FIRST_WORD]!, pending));
        pending = 'lower';
      } else {
        // A case marker before xxunk/xxpad/... has no word to apply to; it is dropped.
        if (!opts.skipSpecials) tokens.push(WORD_SPECIALS[id]!);
        pending = 'lower';
      }
    }
    return joinWords(tokens);
  }

  idToToken(id: number): string {
    checkId(this.type, id, this.vocabSize);
    return id < FIRST_WORD ? WORD_SPECIALS[id]! : this.words[id - FIRST_WORD]!;
  }

  tokenToId(token: string): number | undefined {
    const s = (WORD_SPECIALS as readonly string[]).indexOf(token);
    return s >= 0 ? s : this.ids.get(token);
  }

  toJSON(): WordTokenizerJSON {
    return { type: 'word', version: 1, lowercase: this.lowercase, words: [...this.words] };
  }

  static fromJSON(json: unknown): WordTokenizer {
    const j = json as Partial<WordTokenizerJSON> | null;
    expectJson(typeof j === 'object' && j !== null, 'word', 'expected an object', json);
    expectJson(j.type === 'word', 'word', 'field "type" must be "word"', j.type);
    expectJson(j.version === 1, 'word', 'field "version" must be 1', j.version);
    expectJson(typeof j.lowercase === 'boolean', 'word', 'field "lowercase" must be a boolean', j.lowercase);
    expectJson(Array.isArray(j.words) && j.words.every((w) => typeof w === 'string'), 'word', 'field "words" must be an array of strings');
    return new WordTokenizer({ words: j.words, lowercase: j.lowercase });
  }
}
