import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type GraftPlugin, type Tokenizer, type Trainer } from '../../../core/index.ts';
import { generate, generateText } from '../../../plugins/generation/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 11;

/** Characters a..k as ids 0..10; id 10 ('k') doubles as eos. */
const charTokenizer: GraftPlugin & { tokenizer: Tokenizer } = {
  meta: { name: 'tokenizer:inline', kind: 'tokenizer' },
  tokenizer: {
    type: 'inline',
    vocabSize: V,
    specials: { eos: 10 },
    encode: (s: string) => Int32Array.from(s, (c) => c.charCodeAt(0) - 97),
    decode: (ids: ArrayLike<number>) => String.fromCharCode(...Array.from(ids, (i) => 97 + i)),
  } as unknown as Tokenizer,
  apply() {},
};

let trainer: Trainer;

// One small model, trained once on the toy task (next = 3t+1 mod V), shared by the serial tests.
test.before(async () => {
  trainer = createTrainer({
    plugins: [new GptModel({ vocabSize: V, contextLength: 4, nLayers: 1, nHeads: 2, dModel: 16, dropout: 0 }), new LmHead(), new NextTokenObjective(), new ToySgd(0.5), new ToyDataset({ vocab: V, batches: 8, seqLen: 4 }), charTokenizer],
    options: { seed: 2, epochs: 5 },
    logger: silentLogger(),
  });
  await trainer.fit();
});

test.after.always(() => trainer?.dispose());

test.serial('greedy generation follows the argmax of the forward pass, with a sliding window; no tensor leaks', async (t) => {
  const prompt = [1, 4, 2, 7, 3, 5]; // longer than contextLength 4
  const before = tf.memory().numTensors;
  const out = await generate(trainer, prompt, { maxNewTokens: 8, temperature: 0 });
  t.is(tf.memory().numTensors, before);
  t.is(out.length, prompt.length + 8);
  t.deepEqual(out.slice(0, prompt.length), prompt);
  // Reference: the argmax of the last position over the last 4 ids.
  for (let n = prompt.length; n < out.length; n++) {
    const window = out.slice(n - 4, n);
    const logits = tf.tidy(() => Array.from((trainer.forward({ inputs: tf.tensor2d([window], [1, 4], 'int32') }).logits!.arraySync() as number[][][])[0]![3]!));
    t.is(out[n], logits.indexOf(Math.max(...logits)));
  }
  // The toy task (next = 3t+1 mod V) was learned: greedy continues the rule.
  let rule = 0;
  for (let n = prompt.length; n < out.length; n++) if (out[n] === (out[n - 1]! * 3 + 1) % V) rule++;
  t.true(rule >= 6, `${out}`);
});

test.serial('sampling: same seed → same ids, ids within the vocabulary, numTensors flat over many calls, stopAt ends early', async (t) => {
  const a = await generate(trainer, [3], { maxNewTokens: 10, temperature: 1.5, topK: 5, seed: 11 });
  const before = tf.memory().numTensors;
  const b = await generate(trainer, [3], { maxNewTokens: 10, temperature: 1.5, topK: 5, seed: 11 });
  for (let i = 0; i < 3; i++) await generate(trainer, [3, 4], { maxNewTokens: 5, seed: i });
  t.is(tf.memory().numTensors, before);
  t.deepEqual(a, b);
  t.true(a.every((id) => Number.isInteger(id) && id >= 0 && id < V));
  const g = await generate(trainer, [3], { maxNewTokens: 10, temperature: 0 });
  const stopAt = [g[3]!];
  const s = await generate(trainer, [3], { maxNewTokens: 10, temperature: 0, stopAt });
  t.deepEqual(s, g.slice(0, g.indexOf(g[3]!, 1) + 1));
  t.true(s.length < g.length);
});

test.serial('generateText encodes, generates, stops at eos and decodes the continuation', async (t) => {
  const ids = await generate(trainer, [1, 4], { maxNewTokens: 6, temperature: 0 });
  const text = await generateText(trainer, 'be', { maxNewTokens: 6, temperature: 0 });
  const cut = ids.indexOf(10, 2);
  const expected = 'be' + String.fromCharCode(...ids.slice(2, cut < 0 ? undefined : cut).map((i) => 97 + i));
  t.is(text, expected);
});

test('errors: empty prompt; bad options name the option', async (t) => {
  const fake = { forward: () => ({}), role: () => ({ meta: { name: 'model:x' }, contextLength: 4 }), rng: undefined } as never;
  await t.throwsAsync(generate(fake, [], {}), { message: /prompt/ });
  await t.throwsAsync(generate(fake, [1], { topP: 0 }), { message: /option "topP"/ });
  await t.throwsAsync(generate(fake, [1], { maxNewTokens: -1 }), { message: /option "maxNewTokens"/ });
  await t.throwsAsync(generate(fake, [1], { seed: 1, maxNewTokens: 1 }), { message: /logits/ });
  // The window comes from the model's typed contextLength, not from its options.
  const noCtx = { forward: () => ({}), role: () => ({ meta: { name: 'model:x' }, options: { contextLength: 4 } }), rng: undefined } as never;
  await t.throwsAsync(generate(noCtx, [1], { seed: 1, maxNewTokens: 1 }), { message: /model "model:x" declares no contextLength/ });
});
