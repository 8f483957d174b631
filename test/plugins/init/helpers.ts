import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TokenizerPlugin, Trainer } from '../../../core/index.ts';
import { WordTokenizer } from '../../../plugins/tokenizers/index.ts';

/** A `tokenizer:word` plugin with a fixed vocabulary (6 specials, then `words`) that saves its JSON like the real one. */
export function fixedWordTokenizer(words: string[]): TokenizerPlugin {
  const tokenizer = new WordTokenizer({ words, lowercase: false });
  return {
    meta: { name: 'tokenizer:word', kind: 'tokenizer' },
    tokenizer,
    apply() {},
    getState: () => ({ json: tokenizer.toJSON() }),
  };
}

export function values(trainer: Trainer, name: string): Float32Array {
  return trainer.params.get(name).dataSync() as Float32Array;
}

export function row(m: Float32Array, i: number, dim: number): number[] {
  return Array.from(m.subarray(i * dim, (i + 1) * dim));
}

export function tempDir(prefix = 'graft-init-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
