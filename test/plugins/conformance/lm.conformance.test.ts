import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { MaskedLmObjective, NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { CharTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';
import { lmRecipe, tinyGpt } from './recipes.ts';

// The language-model parts in a character-level GPT on ~400 characters (one block, width 8,
// dropout on so its random stream has to resume exactly).

test.before(async () => {
  await tf.setBackend('cpu');
});

pluginConformance(test, {
  make: () => new GptModel({ nLayers: 1, dModel: 8, nHeads: 2, contextLength: 8, dropout: 0.1 }),
  recipe: () => lmRecipe({ model: null }),
  // the model holds the parameters: a checkpoint of another model cannot be resumed with it
  without: false,
});

pluginConformance(test, {
  make: () => new LmHead({ tied: false }),
  recipe: () => lmRecipe({ head: null }),
  // the model gives features only and the objective needs the head's logits: nothing trains without it
  without: false,
});

pluginConformance(test, {
  make: () => new NextTokenObjective(),
  recipe: () => lmRecipe({ objective: null }),
  // default `without`: the same recipe with objective:toy-xent (a run that changes objective on resume)
});

const MASK_SPECIALS = ['pad', 'unk', 'bos', 'eos', 'mask'];

pluginConformance(test, {
  make: () => new MaskedLmObjective(),
  recipe: () => lmRecipe({ objective: null, model: tinyGpt({ causal: false }), tokenizer: new CharTokenizerPlugin({ specials: MASK_SPECIALS }) }),
});
