import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  GraftError,
  Rng,
  resolveOptions,
  type Batch,
  type InputOptions,
  type Outputs,
  type DecodeState,
  type RoleName,
  type Roles,
} from '../../core/index.ts';
import { GENERATE_OPTIONS } from './options.ts';
import { sampleToken } from './sampleToken.ts';

export type GenerateOptions = InputOptions<typeof GENERATE_OPTIONS>;

/** What `generate` needs of a trainer (the `Trainer` class satisfies it). */
export interface Generator {
  forward(batch: Batch, training?: boolean): Outputs;
  /** Incremental decoding through the model's key/value cache; undefined when the model has none. */
  forwardIncremental?(batch: Batch, state: DecodeState | undefined): { outputs: Outputs; state: DecodeState } | undefined;
  role<R extends RoleName>(name: R): Roles[R];
  readonly rng: Rng;
}

/**
 * Autoregressive generation: sample the next id from the last position's logits and append it,
 * until `maxNewTokens` or a stop id. With a model that decodes incrementally (model:gpt's
 * key/value cache) and `cache` (default), the prompt runs once and each new token runs alone
 * against the cache; once the sequence passes `contextLength` (absolute positions), every token
 * recomputes the window of the last `contextLength` ids, as without a cache. Otherwise every
 * token runs `trainer.forward` on that window. The same ids either way (logits equal to float
 * rounding; tested). Returns prompt + generated ids. Every step's tensors are freed, the cache too.
 */
export async function generate(trainer: Generator, promptIds: ArrayLike<number>, options: GenerateOptions & { cache?: boolean } = {}): Promise<number[]> {
  const { cache: useCache = true, ...rest } = options;
  const o = resolveOptions('generate', GENERATE_OPTIONS, rest);
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
  const incremental = useCache && trainer.forwardIncremental && model.forwardIncremental && C <= (model.contextLength ?? C) ? trainer.forwardIncremental.bind(trainer) : undefined;
  let state: DecodeState | undefined;
  try {
    for (let n = 0; n < o.maxNewTokens; n++) {
      const row = tf.tidy(() => {
        let logits: tf.Tensor | undefined;
        if (incremental && ids.length <= C) {
          // The prompt on the first call, then one token a call against the cache.
          const fresh = state === undefined ? ids : ids.slice(state.length);
          const r = incremental({ inputs: tf.tensor2d(Int32Array.from(fresh), [1, fresh.length], 'int32') }, state)!;
          state?.dispose();
          state = r.state;
          logits = r.outputs.logits;
        } else {
          state?.dispose();
          state = undefined;
          const window = ids.slice(Math.max(0, ids.length - C));
          logits = trainer.forward({ inputs: tf.tensor2d(Int32Array.from(window), [1, window.length], 'int32') }, false).logits;
        }
        if (!logits) throw new GraftError(ErrorCodes.DATA, 'the forward pass returned no `logits`', { plugin: 'generate', hint: 'Add a head (head:lm)' });
        const T = logits.shape[1]!;
        const V = logits.shape[logits.rank - 1]!;
        return tf.reshape(tf.slice(logits, [0, T - 1, 0], [1, 1, V]), [V]);
      });
      const values = (await row.data()) as Float32Array;
      row.dispose();
      const next = sampleToken(values, sample, rng);
      ids.push(next);
      if (stop.has(next)) break;
    }
  } finally {
    (state as DecodeState | undefined)?.dispose();
  }
  return ids;
}
