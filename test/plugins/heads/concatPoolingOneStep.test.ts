/** concatPooling of a batch one position long (a batch of one-token texts, `graft predict --text winner`). */
import test from 'ava';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { concatPooling } from '../../../plugins/heads/index.ts';

test('T = 1: last, max and mean are the one position', async (t) => {
  await tf.setBackend('cpu');
  const x = tf.tensor3d([[[1, -2]], [[0.5, 3]]]); // [B=2, T=1, H=2]
  const pooled = tf.tidy(() => concatPooling(x, tf.tensor1d([1, 1], 'int32')).arraySync());
  t.deepEqual(pooled, [[1, -2, 1, -2, 1, -2], [0.5, 3, 0.5, 3, 0.5, 3]]);
  // A length of 0 is clamped to 1, as for longer batches.
  t.deepEqual(tf.tidy(() => concatPooling(x, tf.tensor1d([0, 1], 'int32')).arraySync()), pooled);
  x.dispose();
});
