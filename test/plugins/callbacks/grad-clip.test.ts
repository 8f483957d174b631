import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger, type GradMap, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { clipByGlobalNorm, GradClipCallback } from '../../../plugins/callbacks/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const globalNorm = (g: GradMap) => Math.sqrt(Object.values(g).reduce((s, t) => s + Array.from(t.dataSync()).reduce((a, x) => a + x * x, 0), 0));

test('clipByGlobalNorm scales by maxNorm/norm when above, leaves gradients alone below', (t) => {
  const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) };
  // √(9 + 16 + 144) = 13
  const c = clipByGlobalNorm(grads, 6.5);
  t.true(Math.abs(c.norm.dataSync()[0]! - 13) < 1e-6);
  const s = 6.5 / (13 + 1e-6);
  t.deepEqual(Array.from(c.grads.a!.dataSync()), Array.from(Float32Array.from([3 * s, 4 * s])));
  t.deepEqual(Array.from(c.grads.b!.dataSync()), Array.from(Float32Array.from([12 * s])));
  const u = clipByGlobalNorm(grads, 20);
  t.deepEqual(Array.from(u.grads.a!.dataSync()), [3, 4]);
  t.deepEqual(Array.from(u.grads.b!.dataSync()), [12]);
  const n = clipByGlobalNorm({ a: grads.a, gone: null as unknown as tf.Tensor }, 1);
  t.is(n.grads.gone as unknown, null);
  t.true(Math.abs(n.norm.dataSync()[0]! - 5) < 1e-6);
  tf.dispose([grads.a, grads.b, c.norm, u.norm, n.norm, ...Object.values(c.grads), ...Object.values(u.grads), n.grads.a!]);
});

/** Measures the gradient norm before (default stage) and after (observe stage) the clipping. */
class NormProbe implements GraftPlugin {
  readonly meta = { name: 'callback:norm-probe', kind: 'callback' } as const;
  readonly before: number[] = [];
  readonly after: number[] = [];
  readonly tensors: number[] = [];
  apply(t: TrainerApi): void {
    t.tap('afterBackward', this, (g) => (this.before.push(globalNorm(g)), g));
    t.tap('afterBackward', this, (g) => (this.after.push(globalNorm(g)), g), { stage: 'observe' });
    t.tap('afterStep', this, () => void this.tensors.push(tf.memory().numTensors), { stage: 'observe' });
  }
}

test('in a run: the optimizer sees clipped gradients, lastNorm is the norm before clipping, no leak', async (t) => {
  const clip = new GradClipCallback({ maxNorm: 0.2 });
  const probe = new NormProbe();
  const norms: number[] = [];
  const reader: GraftPlugin = {
    meta: { name: 'callback:norm-reader', kind: 'callback' },
    apply: (tr) => tr.tap('afterStep', 'callback:norm-reader', async () => void norms.push((await clip.readLastNorm())!)),
  };
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.5), new ToyDataset({ batches: 6 }), clip, probe, reader],
    options: { seed: 2 },
    logger: silentLogger(),
  });
  await trainer.fit();
  t.is(probe.before.length, 6);
  probe.before.forEach((b, i) => {
    t.true(Math.abs(norms[i]! - b) < 1e-5 * b, `step ${i}: kept norm ${norms[i]} vs ${b}`);
    t.true(Math.abs(probe.after[i]! - Math.min(b, 0.2)) < 1e-5, `step ${i}: clipped ${probe.after[i]} vs ${Math.min(b, 0.2)}`);
  });
  t.true(probe.before.some((b) => b > 0.2), `the test exercises clipping: ${probe.before}`);
  t.true(probe.tensors.slice(1).every((n) => n === probe.tensors[1]), `numTensors ${probe.tensors}`);
  t.true(clip.lastNorm instanceof tf.Tensor);
  trainer.dispose();
  t.is(clip.lastNorm, undefined);
});

test('bad maxNorm names the option', (t) => {
  const e = t.throws(() => new GradClipCallback({ maxNorm: 0 }), { instanceOf: GraftError });
  t.true(e!.message.includes('option "maxNorm"') && e!.message.includes('callback:grad-clip'), e!.message);
});
