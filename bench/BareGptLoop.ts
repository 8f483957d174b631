import * as tf from '@tensorflow/tfjs-core';
import { ParameterStore, Rng, type Batch, type ForwardContext } from '../core/index.ts';
import { adamwInPlace, fusedAdamw } from '../core/backend/index.ts';
import { causalMask, createGptParameters, gptBackbone, lmLogits, tokenCrossEntropy } from '../plugins/index.ts';
import type { GptBenchConfig } from './config.ts';
import { applyReferenceWeights } from './plugins/applyReferenceWeights.ts';

/**
 * The same GPT training step without Graft's trainer: tf.variableGrads over the same model
 * functions (`gptBackbone`, tied `lmLogits`, `tokenCrossEntropy` with the objective's default
 * ignore index -1) and AdamW as `optimizer:adamw` runs it: in place (`adamwInPlace`) or graft's fused
 * kernel where the backend has it, else written inline with the same ops, in the same order. From the same weights and batches it gives the same losses as the trainer, so the
 * time difference between the two is the trainer's machinery.
 */
export class BareGptLoop {
  readonly params = new ParameterStore();
  private readonly vars: tf.Variable[];
  private readonly decays: boolean[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly mask: tf.Tensor2D;
  private readonly ctx: ForwardContext;
  private t = 0;

  constructor(private readonly c: GptBenchConfig) {
    createGptParameters(this.params, new Rng(0).fork('model:gpt'), {
      vocabSize: c.vocab, contextLength: c.contextLength, nLayers: c.nLayers, dModel: c.dModel, mlpHidden: 4 * c.dModel, bias: true, initStd: 0.02,
    }, 'bench:bare');
    applyReferenceWeights(this.params, { decayEmbeddings: true, owner: 'bench:bare' });
    const entries = this.params.trainable();
    this.vars = entries.map((e) => e.variable);
    this.decays = entries.map((e) => e.decay);
    const zeros = () => this.vars.map((w) => tf.tidy(() => tf.variable(tf.zerosLike(w), false)));
    this.m = zeros();
    this.v = zeros();
    this.mask = causalMask(c.contextLength);
    this.ctx = { training: true, params: this.params, rng: new Rng(0), intercept: (_name, x) => x, intercepts: () => false };
  }

  /** One training step on `batch` (disposed here); returns the loss, which the caller disposes. */
  step(batch: Batch): tf.Scalar {
    const { nLayers, nHeads } = this.c;
    const { lr, beta1, beta2, eps, weightDecay } = this.c.adam;
    const { value, grads } = tf.variableGrads(() => {
      const features = gptBackbone(this.ctx, batch.inputs!, { nLayers, nHeads, dropout: 0 }, this.mask);
      const logits = lmLogits(features, this.params.read('backbone.tokEmbed', true) as tf.Tensor2D, true);
      return tokenCrossEntropy(logits, batch.targets!, undefined, -1);
    }, this.vars);
    const t = ++this.t;
    tf.tidy(() => {
      for (let i = 0; i < this.vars.length; i++) {
        const p = this.vars[i]!;
        const g = grads[p.name]!;
        // The trainer's AdamW writes in place where it can, else runs graft's fused kernel where the
        // backend has it: so does this loop.
        const h = { lr, beta1, beta2, eps, weightDecay: this.decays[i] ? weightDecay : 0, t };
        if (adamwInPlace(p, g, this.m[i]!, this.v[i]!, h)) continue;
        const fused = fusedAdamw(p, g, this.m[i]!, this.v[i]!, h);
        if (fused != null) {
          p.assign(fused.param);
          this.m[i]!.assign(fused.m);
          this.v[i]!.assign(fused.v);
          continue;
        }
        const m1 = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
        const mhat = tf.div(m1, 1 - beta1 ** t);
        const vhat = tf.div(v1, 1 - beta2 ** t);
        let dir = tf.div(mhat, tf.add(tf.sqrt(vhat), eps));
        if (this.decays[i] && weightDecay !== 0) dir = tf.add(dir, tf.mul(p, weightDecay));
        p.assign(tf.sub(p, tf.mul(dir, lr)));
        this.m[i]!.assign(m1);
        this.v[i]!.assign(v1);
      }
    });
    tf.dispose(grads);
    tf.dispose(Object.values(batch));
    return value;
  }

  dispose(): void {
    this.params.dispose();
    tf.dispose([...this.m, ...this.v, this.mask]);
  }
}
