import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GraftPlugin } from '../../../core/index.ts';
import { SkipGramDataset, type SkipGramOptions } from '../../../plugins/datasets/index.ts';
import { WordTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';

/**
 * A tiny text with structure (sea words near sea words, land words near land words), seeded by a
 * plain LCG so it is the same in every run: `n` sentences of 6 words.
 */
export function toyText(n = 120): string {
  const sea = ['whale', 'ship', 'sea', 'harpoon', 'captain', 'boat', 'wave'];
  const land = ['congress', 'war', 'law', 'nation', 'people', 'tax', 'vote'];
  const glue = ['the', 'a', 'of', 'and'];
  let s = 7;
  const next = (k: number) => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % k;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const pool = i % 2 === 0 ? sea : land;
    const words = Array.from({ length: 6 }, (_, j) => (j % 3 === 0 ? glue[next(glue.length)]! : pool[next(pool.length)]!));
    out.push(words.join(' ') + '.');
  }
  return out.join('\n');
}

/** A temporary folder with the toy text as `toy.txt`; `remove()` deletes it. */
export function toyCorpus(prefix = 'graft-sgns-'): { dir: string; file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const file = path.join(dir, 'toy.txt');
  writeFileSync(file, toyText());
  return { dir, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The data side of a skip-gram recipe on `file`: small batches, several per epoch. */
export function skipGramData(file: string, o: SkipGramOptions = {}): GraftPlugin[] {
  return [
    new SkipGramDataset({ sources: [file], batchSize: 64, shuffleBuffer: 128, blockTokens: 40, validationFraction: 0.2, chunkChars: 256, maxValidationBatches: 2, ...o }),
    new WordTokenizerPlugin({ minFreq: 1, lowercase: true }),
  ];
}
