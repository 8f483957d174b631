import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, GraftError, disposeBatch, type Batch, type TrainerApi } from '../../../core/index.ts';

/**
 * Run the model and head once in evaluation mode on the first example of the first training
 * batch, and free everything. Adapters use it at setup to see which module outputs the model
 * marks (`ctx.intercept`) and how wide they are, which no parameter name says.
 */
export function forwardOnce(trainer: TrainerApi, who: string): void {
  const dataset = trainer.role('dataset');
  const it = dataset.batches('train', { epoch: 0 });
  const first = it.next();
  it.return?.();
  if (first.done) {
    throw new GraftError(ErrorCodes.DATA, 'the training split has no batch to probe the model with', { plugin: who });
  }
  const batch: Batch = first.value;
  try {
    tf.tidy(() => {
      const one: Batch = {};
      for (const [k, t] of Object.entries(batch)) one[k] = t.rank >= 1 && t.shape[0]! > 1 ? tf.slice(t, 0, 1) : t;
      const ctx = trainer.forwardContext(false);
      let outputs = trainer.role('model').forward(one, ctx);
      const head = trainer.maybeRole('head');
      if (head) outputs = head.forward(outputs, one, ctx);
    });
  } finally {
    disposeBatch(batch);
  }
}
