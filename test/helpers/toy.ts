import * as tf from '@tensorflow/tfjs-core';
import {
  createDense,
  createEmbedding,
  dense,
  embed,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type ForwardContext,
  type GradMap,
  type ModelPlugin,
  type ObjectivePlugin,
  type OptimizerPlugin,
  type Outputs,
  type ParamGroupSpec,
  type Split,
  type TrainerApi,
} from '../../core/index.ts';

/**
 * Tiny plugins for core tests: a toy sequence task (predict the token after each token, where the
 * successor is (t*3+1) mod V), an embedding+dense model, softmax cross-entropy, and plain SGD.
 * They use only the public API, as a third party would.
 */
export class ToyDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:toy', kind: 'dataset' } as const;
  constructor(readonly opts: { vocab?: number; batches?: number; batchSize?: number; seqLen?: number } = {}) {}
  private get v() { return this.opts.vocab ?? 11; }
  apply(_t: TrainerApi): void {}
  numBatches(split: Split): number {
    return split === 'train' ? (this.opts.batches ?? 4) : 2;
  }
  *batches(split: Split, o: BatchOptions): IterableIterator<Batch> {
    const n = this.numBatches(split);
    const B = this.opts.batchSize ?? 4;
    const T = this.opts.seqLen ?? 5;
    for (let b = o.from ?? 0; b < n; b++) {
      const ids = new Int32Array(B * T);
      const tg = new Int32Array(B * T);
      for (let i = 0; i < B * T; i++) {
        // deterministic in (split, epoch, batch): a resumed run sees the same data
        ids[i] = (i * 7 + b * 5 + o.epoch * 3 + (split === 'train' ? 0 : 1)) % this.v;
        tg[i] = (ids[i]! * 3 + 1) % this.v;
      }
      yield { inputs: tf.tensor2d(ids, [B, T], 'int32'), targets: tf.tensor2d(tg, [B, T], 'int32') };
    }
  }
}

export class ToyModel implements ModelPlugin {
  readonly meta = { name: 'model:toy', kind: 'model' } as const;
  constructor(readonly opts: { vocab?: number; dim?: number } = {}) {}
  apply(t: TrainerApi): void {
    t.tap('setup', this, () => {
      const rng = t.rng.fork('model');
      const V = this.opts.vocab ?? 11;
      const D = this.opts.dim ?? 8;
      createEmbedding(t.params, rng, 'backbone.embed', V, D, 0.5, this.meta.name);
      createDense(t.params, rng, 'backbone.proj', D, D, { owner: this.meta.name });
      createDense(t.params, rng, 'head.out', D, V, { owner: this.meta.name });
    }, { stage: 'build' });
  }
  forward(batch: Batch, ctx: ForwardContext): Outputs {
    const x = embed(ctx.params, 'backbone.embed', batch.inputs!, ctx.training);
    const h = ctx.intercept('backbone.proj', tf.relu(dense(ctx.params, 'backbone.proj', x, ctx.training)));
    return { features: h, logits: dense(ctx.params, 'head.out', h, ctx.training) };
  }
  layerGroups() {
    return ['backbone.embed', 'backbone.proj.*', 'head.**'];
  }
}

export class ToyObjective implements ObjectivePlugin {
  readonly meta = { name: 'objective:toy-xent', kind: 'objective' } as const;
  apply(): void {}
  loss(out: Outputs, batch: Batch): tf.Scalar {
    const logits = out.logits!;
    const V = logits.shape[logits.rank - 1]!;
    const flat = tf.reshape(logits, [-1, V]);
    const y = tf.oneHot(tf.reshape(batch.targets!, [-1]) as tf.Tensor1D, V);
    const logp = tf.logSoftmax(flat);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.cast(y, 'float32'), logp), -1))) as tf.Scalar;
  }
}

export class ToySgd implements OptimizerPlugin {
  readonly meta = { name: 'optimizer:toy-sgd', kind: 'optimizer' } as const;
  groups: ParamGroupSpec[] = [];
  readonly baseLearningRate: number;
  constructor(public learningRate = 0.5) {
    this.baseLearningRate = learningRate;
  }
  setLearningRateMultiplier(m: number): void {
    this.learningRate = this.baseLearningRate * m;
  }
  apply(): void {}
  groupRates() {
    return { default: this.learningRate };
  }
  step(grads: GradMap, ctx: { trainer: TrainerApi }): void {
    for (const [name, g] of Object.entries(grads)) {
      const v = ctx.trainer.params.get(name);
      v.assign(tf.sub(v, tf.mul(g, this.learningRate)));
    }
  }
}

export function toyPlugins(o: { batches?: number } = {}) {
  return [new ToyModel(), new ToyObjective(), new ToySgd(), new ToyDataset({ batches: o.batches })];
}
