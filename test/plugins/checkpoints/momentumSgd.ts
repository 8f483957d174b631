import * as tf from '@tensorflow/tfjs-core';
import type { GradMap, OptimizerPlugin, ParamGroupSpec, PluginState, TrainerApi } from '../../../core/index.ts';

/**
 * SGD with heavy-ball momentum (v ← μv + g; p ← p − lr·v), for resume tests: unlike the toy SGD
 * it has state, so a resume is exact only if that state is saved and restored.
 */
export class MomentumSgd implements OptimizerPlugin {
  readonly meta = { name: 'optimizer:test-momentum', kind: 'optimizer' } as const;
  groups: ParamGroupSpec[] = [];
  readonly baseLearningRate = 0.2;
  learningRate = 0.2;
  private readonly mu = 0.9;
  private readonly velocity = new Map<string, tf.Variable>();

  apply(): void {}

  setLearningRateMultiplier(m: number): void {
    this.learningRate = this.baseLearningRate * m;
  }

  groupRates(): Record<string, number> {
    return { default: this.learningRate };
  }

  step(grads: GradMap, ctx: { trainer: TrainerApi }): void {
    for (const [name, g] of Object.entries(grads)) {
      let v = this.velocity.get(name);
      if (!v) {
        v = tf.variable(tf.zerosLike(g), false);
        this.velocity.set(name, v);
      }
      v.assign(tf.add(tf.mul(v, this.mu), g));
      const p = ctx.trainer.params.get(name);
      p.assign(tf.sub(p, tf.mul(v, this.learningRate)));
    }
  }

  /** Velocity values by parameter name (for comparisons). */
  velocities(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of this.velocity) out[k] = v.dataSync() as Float32Array;
    return out;
  }

  getState(): PluginState {
    return { tensors: Object.fromEntries(this.velocity) };
  }

  setState(s: PluginState): void {
    this.dispose();
    for (const [k, t] of Object.entries(s.tensors ?? {})) this.velocity.set(k, tf.variable(tf.clone(t), false));
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}
