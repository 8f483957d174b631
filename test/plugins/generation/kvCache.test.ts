/**
 * Generation with model:gpt's key/value cache (GptModel.forwardIncremental): the same logits as
 * the full forward at every position, the same tokens greedy and sampled, past the context length
 * too, and every tensor freed (the cache included, on error as well).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type DecodeState, type Trainer } from '../../../core/index.ts';
import { generate } from '../../../plugins/generation/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { ToyDataset, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const V = 13;
const C = 10;
let trainer: Trainer;

// Untrained weights from a seed (sharper logits than zeros), 3 layers, 4 heads.
test.before(async () => {
  trainer = createTrainer({
    plugins: [new GptModel({ vocabSize: V, contextLength: C, nLayers: 3, nHeads: 4, dModel: 16, dropout: 0.1 }), new LmHead(), new NextTokenObjective(), new ToySgd(0.5), new ToyDataset({ vocab: V, batches: 2, seqLen: C })],
    options: { seed: 7, epochs: 1 },
    logger: silentLogger(),
  });
  await trainer.fit();
});

test.after.always(() => trainer?.dispose());

const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];

test.serial('incremental decoding: logits at every position equal the full forward (prefill of 3, then one token a call)', (t) => {
  const full = tf.tidy(() => trainer.forward({ inputs: tf.tensor2d([ids], [1, C], 'int32') }).logits!.arraySync() as number[][][])[0]!;
  let state: DecodeState | undefined;
  let maxDiff = 0;
  for (const [from, to] of [[0, 3], ...Array.from({ length: C - 3 }, (_, i) => [3 + i, 4 + i])] as [number, number][]) {
    const got = tf.tidy(() => {
      const r = trainer.forwardIncremental({ inputs: tf.tensor2d([ids.slice(from, to)], [1, to - from], 'int32') }, state)!;
      state?.dispose();
      state = r.state;
      return r.outputs.logits!.arraySync() as number[][][];
    })[0]!;
    t.is(state!.length, to);
    got.forEach((row, i) => row.forEach((x, v) => (maxDiff = Math.max(maxDiff, Math.abs(x - full[from + i]![v]!)))));
  }
  state!.dispose();
  t.true(maxDiff < 1e-5, `max |cached - full| = ${maxDiff}`);
  t.true(maxDiff >= 0);
  // Beyond the context length the model refuses (generation recomputes the window instead).
  t.throws(() => tf.tidy(() => {
    const r = trainer.forwardIncremental({ inputs: tf.tensor2d([ids], [1, C], 'int32') }, undefined)!;
    try {
      trainer.forwardIncremental({ inputs: tf.tensor2d([[1]], [1, 1], 'int32') }, r.state);
    } finally {
      r.state.dispose();
    }
  }), { message: /past the context length \(10 \+ 1 > 10\)/ });
});

test.serial('generation: the same tokens with and without the cache, greedy and sampled, past the context length; tensors flat', async (t) => {
  // The full forward keeps one causal mask per window length it has seen: make them all first.
  await generate(trainer, [1], { temperature: 0, maxNewTokens: C, cache: false });
  const before = tf.memory().numTensors;
  for (const opts of [{ temperature: 0 }, { temperature: 1, seed: 5 }, { temperature: 0.8, topK: 5, seed: 9 }]) {
    // 4 prompt tokens + 16 new: the last 10 are generated past the 10-token context.
    const cached = await generate(trainer, [2, 7, 1, 8], { ...opts, maxNewTokens: 16 });
    const plain = await generate(trainer, [2, 7, 1, 8], { ...opts, maxNewTokens: 16, cache: false });
    t.deepEqual(cached, plain, JSON.stringify(opts));
    t.is(cached.length, 20);
  }
  t.is(tf.memory().numTensors, before, 'no tensor left behind, the cache included');
  // 50 tokens a step at a time: the count never grows between calls.
  const long = await generate(trainer, [4], { temperature: 0, maxNewTokens: 50, contextLength: C });
  t.is(long.length, 51);
  t.is(tf.memory().numTensors, before);
});

test.serial('the cache is freed when a step fails', async (t) => {
  const before = tf.memory().numTensors;
  let calls = 0;
  const failing = Object.create(trainer) as Trainer;
  failing.forwardIncremental = (batch, state) => {
    if (++calls === 4) throw new Error('boom at call 4');
    return trainer.forwardIncremental(batch, state);
  };
  await t.throwsAsync(generate(failing, [1, 2, 3], { temperature: 0, maxNewTokens: 8 }), { message: 'boom at call 4' });
  t.is(calls, 4);
  t.is(tf.memory().numTensors, before);
});
