import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  Rng,
  resolveOptions,
  type Batch,
  type InputOptions,
  type Outputs,
  type RoleName,
  type Roles,
} from '../../core/index.ts';
import { GENERATE_OPTIONS } from './options.ts';
import { sampleToken } from './sampleToken.ts';

export type GenerateOptions = InputOptions<typeof GENERATE_OPTIONS>;

/** What `generate` needs of a trainer (the `Trainer` class satisfies it). */
export interface Generator {
  forward(batch: Batch, training?: boolean): Outputs;
  role<R extends RoleName>(name: R): Roles[R];
  readonly rng: Rng;
}

/**
 * Autoregressive generation: repeatedly run `trainer.forward({ inputs }, false)` on the last
 * `contextLength` ids (a sliding window), sample the next id from the last position's logits
 * and append it. Returns prompt + generated ids. Every step's tensors are freed.
 */
export async function generate(trainer: Generator, promptIds: ArrayLike<number>, options: GenerateOptions = {}): Promise<number[]> {
  const o = resolveOptions('generate', GENERATE_OPTIONS, options);
  const ids = Array.from(promptIds);
  if (ids.length === 0) {
    throw new GraftError(ErrorCodes.DATA, 'generate needs a prompt of at least one token', { hint: 'Start from the tokenizer\'s bos id or any text' });
  }
  const model = trainer.role('model');
  const C = o.contextLength ?? model.contextLength;
  if (C === undefined) {
    throw new GraftError(ErrorCodes.BAD_OPTION, `model "${model.meta.name}" declares no contextLength`, { plugin: 'generate', option: 'contextLength', hint: 'Pass contextLength' });
  }
  const rng = o.seed !== undefined ? new Rng(o.seed) : trainer.rng.fork('generate');
  const stop = new Set(o.stopAt);
  const sample = { temperature: o.temperature, topK: o.topK, topP: o.topP };
  for (let n = 0; n < o.maxNewTokens; n++) {
    const window = ids.slice(Math.max(0, ids.length - C));
    const T = window.length;
    const row = tf.tidy(() => {
      const inputs = tf.tensor2d(Int32Array.from(window), [1, T], 'int32');
      const logits = trainer.forward({ inputs }, false).logits;
      if (!logits) throw new GraftError(ErrorCodes.DATA, 'the forward pass returned no `logits`', { plugin: 'generate', hint: 'Add a head (head:lm)' });
      const V = logits.shape[logits.rank - 1]!;
      return tf.reshape(tf.slice(logits, [0, T - 1, 0], [1, 1, V]), [V]);
    });
    const values = (await row.data()) as Float32Array;
    row.dispose();
    const next = sampleToken(values, sample, rng);
    ids.push(next);
    if (stop.has(next)) break;
  }
  return ids;
}
