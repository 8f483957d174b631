import type { SpecialToken, Tokenizer, TokenizerPlugin, TrainerApi } from '../../../../core/index.ts';

/**
 * A tiny tokenizer for dataset tests: id = 3 + (char code mod (vocab - 3)); 0 = pad, 1 = eos,
 * 2 = unk. `fitted` records the texts it was fitted on, so tests can check no validation text
 * reaches it.
 */
export class CharTokenizer implements Tokenizer {
  readonly type = 'test-char';
  readonly specials: Partial<Record<SpecialToken, number>>;
  constructor(
    readonly vocabSize = 64,
    specials: Partial<Record<SpecialToken, number>> = { pad: 0, eos: 1, unk: 2 },
  ) {
    this.specials = specials;
  }
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = 3 + (text.charCodeAt(i) % (this.vocabSize - 3));
    return out;
  }
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => (i < 3 ? '' : String.fromCharCode(i - 3))).join('');
  }
  idToToken(id: number): string {
    return String(id);
  }
  tokenToId(token: string): number | undefined {
    return token.length === 1 ? this.encode(token)[0] : undefined;
  }
  toJSON() {
    return { type: this.type, vocabSize: this.vocabSize };
  }
}

/** Wraps a tokenizer as a plugin that "fits" on the dataset's training texts at stage tokenizer. */
export class CharTokenizerPlugin implements TokenizerPlugin {
  readonly meta = { name: 'tokenizer:test-char', kind: 'tokenizer' } as const;
  fitted: string[] = [];
  constructor(readonly tokenizer: Tokenizer = new CharTokenizer()) {}
  apply(t: TrainerApi): void {
    t.tap('setup', this, () => {
      this.fitted = t.role('dataset').trainingTexts!();
    }, { stage: 'tokenizer' });
  }
}
