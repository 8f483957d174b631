import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { LabelledTextDataset, TextCorpusDataset } from '../../../plugins/datasets/index.ts';
import { ByteBpeTokenizerPlugin, CharTokenizerPlugin, WordTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';
import { classifierRecipe, lmRecipe, tempFolder, wordText, writeLabelledCsv } from './recipes.ts';

// Datasets and tokenizers in the smallest recipes that use them: a character/word/byte-BPE GPT
// on ~400 characters, and a classifier on a 40-row CSV.

const tmp = tempFolder('graft-conf-data-');
const csv = writeLabelledCsv(tmp.dir);

test.before(async () => {
  await tf.setBackend('cpu');
});

test.after.always(() => tmp.remove());

// The data and the vocabulary define the parameters' shapes and the data position a checkpoint
// holds: no checkpoint of a recipe without them could be resumed with them.
const NO_CHECKPOINT_WITHOUT = false;
// How this process got its tokenizer: fitted on the data in a straight run, restored from the
// checkpoint in a resumed one (the tokenizer itself, its JSON, is compared through getState).
const ORIGIN = ['origin'];

pluginConformance(test, {
  make: () => new TextCorpusDataset({ seqLen: 8, batchSize: 2, validationFraction: 0.2, chunkChars: 64 }, { texts: [wordText(80)] }),
  recipe: () => lmRecipe({ dataset: null }),
  without: NO_CHECKPOINT_WITHOUT,
});

pluginConformance(test, {
  make: () => new LabelledTextDataset({ source: csv, batchSize: 4, maxLen: 8, validationFraction: 0.2, testFraction: 0.1, sortish: true, sortishPool: 2 }),
  recipe: () => classifierRecipe(csv, { dataset: null }),
  without: NO_CHECKPOINT_WITHOUT,
});

pluginConformance(test, {
  make: () => new CharTokenizerPlugin(),
  recipe: () => lmRecipe({ tokenizer: null }),
  without: NO_CHECKPOINT_WITHOUT,
  ignoreFields: ORIGIN,
});

pluginConformance(test, {
  make: () => new ByteBpeTokenizerPlugin({ vocabSize: 270, minFrequency: 1 }),
  recipe: () => lmRecipe({ tokenizer: null }),
  without: NO_CHECKPOINT_WITHOUT,
  ignoreFields: ORIGIN,
});

pluginConformance(test, {
  make: () => new WordTokenizerPlugin({ minFreq: 1 }),
  recipe: () => classifierRecipe(csv, { tokenizer: null }),
  without: NO_CHECKPOINT_WITHOUT,
  ignoreFields: ORIGIN,
});
