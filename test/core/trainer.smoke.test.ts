import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger } from '../../core/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('a toy run lowers the validation loss', async (t) => {
  const trainer = createTrainer({ plugins: toyPlugins({ batches: 8 }), options: { epochs: 5, seed: 1 }, logger: silentLogger() });
  await trainer.setup();
  const before = (await trainer.evaluate()).validation_loss!;
  const res = await trainer.fit();
  const after = (await trainer.evaluate()).validation_loss!;
  t.is(res.state.step, 40);
  t.is(res.stopReason, 'max-epochs');
  t.true(after < before * 0.5, `${before} -> ${after}`);
  trainer.dispose();
});
