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
const smallCsv = writeLabelledCsv(tmp.dir, 24, 'small.csv');

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

// Both datasets shuffle per epoch: with 3 or 4 training batches an epoch and 3 steps a phase, the
// runs cross epochs and the resume lands mid-epoch, so the data position and order must resume.
pluginConformance(test, {
  make: () =>
    new TextCorpusDataset({ seqLen: 8, batchSize: 2, stride: 4, epochOffset: true, validationFraction: 0.3, chunkChars: 32 }, { texts: [wordText(16)] }),
  recipe: () => lmRecipe({ dataset: null }),
  without: NO_CHECKPOINT_WITHOUT,
  steps: 3,
});

pluginConformance(test, {
  make: () =>
    new LabelledTextDataset({ source: smallCsv, batchSize: 8, maxLen: 8, validationFraction: 0.2, testFraction: 0.1, sortish: true, sortishPool: 2, dropLast: true }),
  recipe: () => classifierRecipe(smallCsv, { dataset: null }),
  without: NO_CHECKPOINT_WITHOUT,
  steps: 3,
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
