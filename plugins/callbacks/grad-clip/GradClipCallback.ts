import * as tf from '@tensorflow/tfjs-core';
import {
  resolveOptions,
  type GraftPlugin,
  type InputOptions,
  type ResolvedOptions,
  type TrainerApi,
  type PluginMeta,
  type OptionSchema,
} from '../../../core/index.ts';
import { clipByGlobalNorm } from './clipByGlobalNorm.ts';

export const GRAD_CLIP_OPTIONS = {
  maxNorm: { type: 'number', default: 1, min: 0, exclusiveMin: true, doc: 'Largest global L2 norm of the gradients.' },
} as const satisfies OptionSchema;

/**
 * Clips the gradients by global norm after every other change to them (stage `normalize` of
 * `afterBackward`), and keeps the norm before clipping as a tensor for loggers to read
 * asynchronously: the step itself never waits for the device.
 */
export class GradClipCallback implements GraftPlugin {
  static readonly meta = { name: 'callback:grad-clip', kind: 'callback', description: 'Clip gradients by global L2 norm' } as const satisfies PluginMeta;
  static readonly options = GRAD_CLIP_OPTIONS;
  readonly meta = GradClipCallback.meta;
  readonly options: Readonly<ResolvedOptions<typeof GRAD_CLIP_OPTIONS>>;
  private norm: tf.Scalar | undefined;

  constructor(input: InputOptions<typeof GRAD_CLIP_OPTIONS> = {}) {
    this.options = resolveOptions(this.meta.name, GRAD_CLIP_OPTIONS, input);
  }

  apply(trainer: TrainerApi): void {
    trainer.tap('afterBackward', this, (grads) => {
      const { grads: clipped, norm } = clipByGlobalNorm(grads, this.options.maxNorm);
      this.norm?.dispose();
      // The step's tidy would free it; keep it until the next step replaces it.
      this.norm = tf.keep(norm);
      return clipped;
    }, { stage: 'normalize' });
  }

  /** The last step's global gradient norm (before clipping), on the device; owned by this plugin. */
  get lastNorm(): tf.Scalar | undefined {
    return this.norm;
  }

  /** The last step's global gradient norm as a number, read without blocking. */
  async readLastNorm(): Promise<number | undefined> {
    if (!this.norm) return undefined;
    // A clone shares the data: the next step may dispose ours while we wait.
    const n = tf.clone(this.norm);
    try {
      return (await n.data())[0];
    } finally {
      n.dispose();
    }
  }

  dispose(): void {
    this.norm?.dispose();
    this.norm = undefined;
  }
}
