import * as tf from '@tensorflow/tfjs-core';
import type { Batch, ForwardContext, GraftPlugin, Outputs, TrainerApi } from '../../../core/index.ts';
import { ToyModel } from '../../helpers/toy.ts';

/** Copies of every parameter and buffer, to compare bit for bit. */
export function snapshot(t: TrainerApi): Map<string, Float32Array> {
  return new Map(t.params.names().map((n) => [n, Float32Array.from(t.params.get(n).dataSync())]));
}

export function changed(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  return [...a.keys()].filter((n) => a.get(n)!.some((x, i) => !Object.is(x, b.get(n)![i]))).sort();
}

/** Takes a snapshot before the run and after every epoch. */
export class EpochSnapshots implements GraftPlugin {
  readonly meta = { name: 'callback:epoch-snapshots', kind: 'callback' } as const;
  readonly snaps: Map<string, Float32Array>[] = [];
  readonly trainable: string[][] = [];
  apply(t: TrainerApi): void {
    t.tap('beforeRun', this, () => void this.snaps.push(snapshot(t)));
    t.tap('afterEpoch', this, () => {
      this.snaps.push(snapshot(t));
      this.trainable.push(t.params.names().filter((n) => t.params.isTrainable(n)).sort());
    });
  }
}

/**
 * The toy model with a running-mean buffer under `backbone.proj.` that forward updates in
 * training. (It marks the buffer trainable itself: ParameterStore creates buffers frozen.)
 */
export class BufferToyModel extends ToyModel {
  override apply(t: TrainerApi): void {
    super.apply(t);
    t.tap('setup', this, () => {
      t.params.create('backbone.proj.running_mean', [8], new Float32Array(8), { role: 'buffer', owner: this.meta.name });
      t.params.setTrainable('backbone.proj.running_mean', true);
    }, { stage: 'build' });
  }
  override forward(batch: Batch, ctx: ForwardContext): Outputs {
    const out = super.forward(batch, ctx);
    if (ctx.training) {
      const old = ctx.params.get('backbone.proj.running_mean');
      ctx.params.updateBuffer('backbone.proj.running_mean', tf.add(tf.mul(old, 0.9), tf.mul(tf.mean(out.features!, [0, 1]), 0.1)));
    }
    return out;
  }
}
