import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pluginConformance } from '../../conformance/index.ts';
import { MlmHead } from '../../../plugins/heads/index.ts';
import { MaskedLmObjective } from '../../../plugins/objectives/index.ts';
import { CharTokenizerPlugin } from '../../../plugins/tokenizers/index.ts';
import { lmRecipe, tinyGpt } from '../conformance/recipes.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

// BERT's recipe in miniature: a bidirectional one-block GPT on characters, masked-LM objective.
pluginConformance(test, {
  make: () => new MlmHead(),
  recipe: () =>
    lmRecipe({
      head: null,
      model: tinyGpt({ causal: false }),
      objective: new MaskedLmObjective(),
      tokenizer: new CharTokenizerPlugin({ specials: ['pad', 'unk', 'bos', 'eos', 'mask'] }),
    }),
  // the objective reads the head's logits and the model gives features only: nothing trains without it
  without: false,
});
