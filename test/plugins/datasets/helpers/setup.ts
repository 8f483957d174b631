import * as tf from '@tensorflow/tfjs-core';
import { createTrainer, silentLogger, type DatasetPlugin, type GraftPlugin, type Split, type Trainer } from '../../../../core/index.ts';
import { ToyModel, ToyObjective, ToySgd } from '../../../helpers/toy.ts';
import { CharTokenizer, CharTokenizerPlugin } from './charTokenizer.ts';

/** A trainer around `dataset` with the test tokenizer and toy model, set up (data → encode → build). */
export async function setupWith(
  dataset: DatasetPlugin,
  o: { seed?: number; tokenizer?: CharTokenizer; extra?: GraftPlugin[]; epochs?: number; maxSteps?: number } = {},
): Promise<{ trainer: Trainer; tokenizer: CharTokenizerPlugin }> {
  const tok = new CharTokenizerPlugin(o.tokenizer ?? new CharTokenizer());
  const trainer = createTrainer({
    plugins: [dataset, tok, new ToyModel({ vocab: tok.tokenizer.vocabSize }), new ToyObjective(), new ToySgd(0.1), ...(o.extra ?? [])],
    options: { seed: o.seed ?? 1, epochs: o.epochs ?? 1, maxSteps: o.maxSteps ?? 0 },
    logger: silentLogger(),
  });
  await trainer.setup();
  return { trainer, tokenizer: tok };
}

/** Every batch of a split as plain arrays (tensors disposed). */
export function collect(ds: DatasetPlugin, split: Split, epoch = 0, from?: number): Record<string, number[][] | number[]>[] {
  const out: Record<string, number[][] | number[]>[] = [];
  for (const b of ds.batches(split, { epoch, from })) {
    const row: Record<string, number[][] | number[]> = {};
    for (const [k, t] of Object.entries(b)) row[k] = t.arraySync() as number[][] | number[];
    tf.dispose(Object.values(b));
    out.push(row);
  }
  return out;
}

/** Deterministic pseudo-random text over `alphabet` (no Math.random). */
export function pseudoText(n: number, seed = 7, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  let s = seed >>> 0;
  let out = '';
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out += alphabet[(s >>> 8) % alphabet.length];
  }
  return out;
}
