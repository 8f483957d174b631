import test from 'ava';
import { classifierRunLength, dropLast } from '../../presets/ulmfit-3-stage/classifierRunLength.ts';

// 3 LSTM layers: embedding, 3 layers, head = 5 groups; the bottom one trains from epoch 4.
const BASE = { batchSize: 32, dropLast: true, epochs: 4, minSteps: 0, maxSteps: 0, layerGroups: 5, unfreezeEvery: 1 };

test('small sets: epochs raised to reach minSteps, counted in full batches when the last is dropped', (t) => {
  // 50 examples: 1 full batch an epoch; 40 steps need 40 epochs. Kept partial batch: 2 an epoch, 20 epochs.
  t.is(classifierRunLength({ ...BASE, examples: 50, minSteps: 40 }).epochs, 40);
  t.is(classifierRunLength({ ...BASE, examples: 50, dropLast: false, minSteps: 40 }).epochs, 20);
  // 100 examples, last batch dropped: 3 an epoch; 41 steps need 14 epochs.
  t.is(classifierRunLength({ ...BASE, examples: 100, minSteps: 41 }).epochs, 14);
  // Already enough: the epochs asked for.
  t.deepEqual(classifierRunLength({ ...BASE, examples: 1000, minSteps: 40 }), { epochs: 4, maxSteps: 0, epochsRun: 4, unfreezeEvery: 0 });
  t.is(classifierRunLength({ ...BASE, examples: 1000, epochs: 6, minSteps: 40 }).unfreezeEvery, 1);
});

test('gradual unfreezing is kept only if the bottom group unfreezes before the run ends', (t) => {
  // 100 examples, 80 steps: 27 epochs; the bottom group trains from epoch 4.
  t.deepEqual(classifierRunLength({ ...BASE, examples: 100, minSteps: 80 }), { epochs: 27, maxSteps: 0, epochsRun: 27, unfreezeEvery: 1 });
  // 1000 examples (31 batches), capped at 80 steps: 3 epochs started, fewer than the 5 it takes.
  t.deepEqual(classifierRunLength({ ...BASE, examples: 1000, epochs: 6, maxSteps: 80 }), { epochs: 6, maxSteps: 80, epochsRun: 3, unfreezeEvery: 0 });
  // Exactly 5 epochs: epochs 0-4, the bottom unfrozen for the last one.
  t.is(classifierRunLength({ ...BASE, examples: 320, epochs: 5 }).unfreezeEvery, 1);
  t.is(classifierRunLength({ ...BASE, examples: 320, epochs: 4 }).unfreezeEvery, 0);
  // Every 2 epochs: the bottom trains from epoch 8, so 9 epochs are needed.
  t.is(classifierRunLength({ ...BASE, examples: 320, epochs: 9, unfreezeEvery: 2 }).unfreezeEvery, 2);
  t.is(classifierRunLength({ ...BASE, examples: 320, epochs: 8, unfreezeEvery: 2 }).unfreezeEvery, 0);
  // Off stays off.
  t.is(classifierRunLength({ ...BASE, examples: 100, minSteps: 80, unfreezeEvery: 0 }).unfreezeEvery, 0);
});

test('dropLast: only when a full batch remains', (t) => {
  t.true(dropLast(100, 32));
  t.true(dropLast(33, 32));
  t.false(dropLast(32, 32));
  t.false(dropLast(20, 32));
});
