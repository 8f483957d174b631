import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GraftPlugin } from '../../../core/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../../plugins/datasets/index.ts';
import { ClassifierHead, LmHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel, GptModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { CharTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';
import { ToySgd } from '../../helpers/toy.ts';

/**
 * The smallest real recipes the conformance tests put plugins in: a character-level GPT language
 * model on a few hundred characters of text, and an AWD-LSTM text classifier on a tiny CSV.
 */

const WORDS = ['the', 'whale', 'sea', 'ship', 'a', 'white', 'captain', 'sails', 'on', 'deep', 'and', 'of'];

/** Deterministic text of `n` words from a small vocabulary (no Math.random). */
export function wordText(n: number, seed = 7): string {
  let s = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(WORDS[(s >>> 8) % WORDS.length]!);
  }
  return out.join(' ');
}

/** ~400 characters, 8-token windows, 2 a batch: about 20 training batches and 4 validation batches. */
export const tinyCorpus = (): TextCorpusDataset =>
  new TextCorpusDataset({ seqLen: 8, batchSize: 2, validationFraction: 0.2, chunkChars: 64 }, { texts: [wordText(80)] });

/** One block, width 8, dropout on (its random stream must resume exactly). */
export const tinyGpt = (o: { causal?: boolean } = {}): GptModel =>
  new GptModel({ nLayers: 1, dModel: 8, nHeads: 2, contextLength: 8, dropout: 0.1, ...o });

export interface LmParts {
  dataset?: GraftPlugin;
  tokenizer?: GraftPlugin;
  model?: GraftPlugin;
  head?: GraftPlugin;
  objective?: GraftPlugin;
  optimizer?: GraftPlugin;
}

/** The LM recipe with a part left out (`null`) or replaced; fresh instances each call. */
export function lmRecipe(parts: { [K in keyof LmParts]?: GraftPlugin | null } = {}): GraftPlugin[] {
  const defaults: Required<{ [K in keyof LmParts]: () => GraftPlugin }> = {
    dataset: tinyCorpus,
    tokenizer: () => new CharTokenizerPlugin(),
    model: () => tinyGpt(),
    head: () => new LmHead(),
    objective: () => new NextTokenObjective(),
    optimizer: () => new ToySgd(0.1),
  };
  return (Object.keys(defaults) as (keyof LmParts)[]).flatMap((k) => {
    const p = parts[k];
    if (p === null) return [];
    return [p ?? defaults[k]()];
  });
}

/** A temporary folder for the whole test file: call `remove` in test.after.always. */
export function tempFolder(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A tiny labelled CSV (text,label) of `n` rows in `dir`: label = whether the text mentions a whale. */
export function writeLabelledCsv(dir: string, n = 40, name = 'labelled.csv'): string {
  const file = path.join(dir, name);
  const rows = ['text,label'];
  for (let i = 0; i < n; i++) {
    const text = wordText(3 + (i % 5), i + 1);
    rows.push(`${text},${text.includes('whale') ? 'whale' : 'other'}`);
  }
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

export const labelledDataset = (file: string): LabelledTextDataset =>
  new LabelledTextDataset({ source: file, batchSize: 4, maxLen: 8, validationFraction: 0.2, testFraction: 0.1 });

/** Classification: a 1-layer AWD-LSTM and a classifier head on the labelled CSV, character tokens. */
export function classifierRecipe(file: string, parts: { dataset?: GraftPlugin | null; tokenizer?: GraftPlugin | null } = {}): GraftPlugin[] {
  const out: GraftPlugin[] = [];
  if (parts.dataset !== null) out.push(parts.dataset ?? labelledDataset(file));
  if (parts.tokenizer !== null) out.push(parts.tokenizer ?? new CharTokenizerPlugin());
  out.push(new AwdLstmModel({ embSize: 8, hiddenSize: 12, nLayers: 1 }), new ClassifierHead({ hidden: [6] }), new ClassificationObjective(), new ToySgd(0.1));
  return out;
}
