/**
 * `dropMult` (fastai's drop_mult) on model:awd-lstm and head:classifier: a run with base dropouts
 * times a multiplier is the run with the scaled dropouts written out (same seed, bit-identical
 * parameters); each scaled value is capped at 0.95; 1 leaves the options as given.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, scaledDropout, silentLogger } from '../../../core/index.ts';
import { ClassifierHead } from '../../../plugins/heads/index.ts';
import { AwdLstmModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyClassificationDataset } from '../heads/classificationToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('scaledDropout: p × mult capped at 0.95; mult 1 leaves p as it is', (t) => {
  t.is(scaledDropout(0.4, 0.3), 0.4 * 0.3);
  t.is(scaledDropout(0.05, 0.3), 0.05 * 0.3);
  t.is(scaledDropout(0.4, 3), 0.95);
  t.is(scaledDropout(0.97, 1), 0.97);
  t.is(scaledDropout(0.4, 0), 0);
});

test('effective dropouts, hand-computed: the ULMFiT classifier\'s (dropMult 0.3) and the cap', (t) => {
  const close = (a: number, b: number, what: string) => t.true(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
  // AWD-LSTM embed/input/hidden/output/weight 0.05/0.4/0.3/0.2/0.3, head [0.2, 0.1], all × 0.3
  const ulmfit: [number, number][] = [[0.05, 0.015], [0.4, 0.12], [0.3, 0.09], [0.2, 0.06], [0.1, 0.03]];
  for (const [p, want] of ulmfit) close(scaledDropout(p, 0.3), want, `${p} × 0.3`);
  // × 2: 0.4 -> 0.8, 0.5 -> 1.0 capped at 0.95, 0.475 -> 0.95 exactly
  close(scaledDropout(0.4, 2), 0.8, '0.4 × 2');
  t.is(scaledDropout(0.5, 2), 0.95);
  t.is(scaledDropout(0.475, 2), 0.95);
  t.is(scaledDropout(0.99, 1.5), 0.95);
  // × 1: as given, no cap (the AWD-LSTM allows up to 0.99)
  t.is(scaledDropout(0.99, 1), 0.99);
  t.is(scaledDropout(0.96, 1), 0.96);
});

type Drops = { embedDropout: number; inputDropout: number; hiddenDropout: number; outputDropout: number; weightDropout: number };

async function train(model: Drops & { dropMult?: number }, head: { dropouts: number[]; dropMult?: number }): Promise<Record<string, number[]>> {
  const trainer = createTrainer({
    plugins: [
      new ToyClassificationDataset({ batches: 3 }),
      new AwdLstmModel({ vocabSize: 9, embSize: 6, hiddenSize: 8, nLayers: 2, ...model }),
      new ClassifierHead({ hidden: [5], ...head }),
      new ClassificationObjective(),
      new AdamwOptimizer({ lr: 0.01 }),
    ],
    options: { epochs: 1, seed: 7 },
    logger: silentLogger(),
  });
  await trainer.fit();
  const out = Object.fromEntries(trainer.params.names().map((n) => [n, Array.from(trainer.params.get(n).dataSync())]));
  trainer.dispose();
  return out;
}

const BASE: Drops = { embedDropout: 0.05, inputDropout: 0.4, hiddenDropout: 0.3, outputDropout: 0.2, weightDropout: 0.3 };
const scaled = (d: Drops, m: number): Drops => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Math.min(0.95, v * m)])) as Drops;

test('dropMult 0.3 trains exactly as the dropouts × 0.3 written out (the ULMFiT classifier\'s)', async (t) => {
  const a = await train({ ...BASE, dropMult: 0.3 }, { dropouts: [0.2, 0.1], dropMult: 0.3 });
  const b = await train(scaled(BASE, 0.3), { dropouts: [0.2 * 0.3, 0.1 * 0.3] });
  t.deepEqual(a, b);
  // and the multiplier matters: the base dropouts train to other weights
  t.notDeepEqual(a, await train(BASE, { dropouts: [0.2, 0.1] }));
});

test('a large dropMult caps every dropout at 0.95', async (t) => {
  const a = await train({ ...BASE, dropMult: 4 }, { dropouts: [0.2, 0.1], dropMult: 4 });
  const b = await train(scaled(BASE, 4), { dropouts: [0.8, 0.4] });
  t.deepEqual(a, b);
});

test('dropMult 1 is today\'s behaviour: the options as given, even above the 0.95 cap', async (t) => {
  const high: Drops = { embedDropout: 0.97, inputDropout: 0.4, hiddenDropout: 0.98, outputDropout: 0.2, weightDropout: 0.96 };
  const a = await train({ ...high, dropMult: 1 }, { dropouts: [0.97, 0.1], dropMult: 1 });
  t.deepEqual(a, await train(high, { dropouts: [0.97, 0.1] }));
  // a cap would have changed them: the capped values train to other weights
  t.notDeepEqual(a, await train(scaled(high, 1), { dropouts: [0.95, 0.1] }));
});

test('bad dropMult names the option', (t) => {
  t.throws(() => new AwdLstmModel({ dropMult: -1 }), { message: /model:awd-lstm.*option "dropMult"/ });
  t.throws(() => new ClassifierHead({ dropMult: -0.5 }), { message: /head:classifier.*option "dropMult"/ });
});
