import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger, type GraftPlugin, type HeadPlugin, type Outputs, type TrainerApi } from '../../../core/index.ts';
import { LmHead } from '../../../plugins/heads/index.ts';
import { DiscriminativeLrGroups, discriminativeGroups, withTopGroups } from '../../../plugins/lr-groups/index.ts';
import { AWD_LSTM_EMBEDDING, AwdLstmModel } from '../../../plugins/models/index.ts';
import { NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('group i of n gets lrScale 1/factor^(n-1-i), bottom to top', (t) => {
  const g = discriminativeGroups(['a', 'b', 'c', 'd'], 2.6);
  t.deepEqual(g.map((x) => x.name), ['group0', 'group1', 'group2', 'group3']);
  t.deepEqual(g.map((x) => x.pattern), ['a', 'b', 'c', 'd']);
  t.deepEqual(g.map((x) => x.lrScale), [1 / 2.6 ** 3, 1 / 2.6 ** 2, 1 / 2.6, 1]);
});

test("the optimizer's group rates follow the model's, then the head's layer groups", async (t) => {
  const opt = new AdamwOptimizer({ lr: 0.01 });
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset(), opt, new DiscriminativeLrGroups()],
    logger: silentLogger(),
  });
  await trainer.setup();
  // Toy layer groups: backbone.embed, backbone.proj.*, head.** (all parameters: no default group).
  t.deepEqual(opt.groupRates(), { group0: 0.01 * (1 / 2.6 ** 2), group1: 0.01 * (1 / 2.6), group2: 0.01 });
  trainer.dispose();

  const head: HeadPlugin = {
    meta: { name: 'head:pass', kind: 'head' },
    apply: () => {},
    forward: (o: Outputs) => o,
    layerGroups: () => ['head.out.kernel', 'head.out.bias'],
  };
  // The toy model's own groups stop at the backbone here, as a real model's do.
  class BackboneToy extends ToyModel {
    override layerGroups() {
      return ['backbone.embed', 'backbone.proj.*'];
    }
  }
  const opt2 = new AdamwOptimizer({ lr: 1 });
  const t2 = createTrainer({
    plugins: [new BackboneToy(), new ToyObjective(), new ToyDataset(), opt2, head, new DiscriminativeLrGroups({ factor: 2 })],
    logger: silentLogger(),
  });
  await t2.setup();
  t.deepEqual(opt2.groupRates(), { group0: 1 / 8, group1: 1 / 4, group2: 1 / 2, group3: 1 });
  t.is(opt2.groupOf('head.out.bias'), 'group3');
  t.is(opt2.groupOf('backbone.proj.bias'), 'group1');
  t2.dispose();
});

/** Copies the gradients and parameters the optimizer is about to use. */
class StepProbe implements GraftPlugin {
  readonly meta = { name: 'callback:step-probe', kind: 'callback' } as const;
  grads = new Map<string, Float32Array>();
  before = new Map<string, Float32Array>();
  after = new Map<string, Float32Array>();
  apply(t: TrainerApi): void {
    t.tap('beforeOptimizerStep', this, (ctx) => {
      for (const [n, g] of Object.entries(ctx.grads!)) {
        this.grads.set(n, Float32Array.from(g.dataSync()));
        this.before.set(n, Float32Array.from(t.params.get(n).dataSync()));
      }
    }, { stage: 'observe' });
    t.tap('afterOptimizerStep', this, () => {
      for (const n of this.grads.keys()) this.after.set(n, Float32Array.from(t.params.get(n).dataSync()));
    });
  }
}

test('each parameter moves by its group rate: Δp = -lr · 2.6^-(n-1-i) · g (plain SGD)', async (t) => {
  const probe = new StepProbe();
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset({ batches: 1 }), new SgdOptimizer({ lr: 0.5, momentum: 0 }), new DiscriminativeLrGroups(), probe],
    options: { maxSteps: 1 },
    logger: silentLogger(),
  });
  await trainer.fit();
  const scale: Record<string, number> = {
    'backbone.embed': 1 / 2.6 ** 2,
    'backbone.proj.kernel': 1 / 2.6,
    'backbone.proj.bias': 1 / 2.6,
    'head.out.kernel': 1,
    'head.out.bias': 1,
  };
  t.deepEqual([...probe.grads.keys()].sort(), Object.keys(scale).sort());
  for (const [n, g] of probe.grads) {
    const b = probe.before.get(n)!;
    const a = probe.after.get(n)!;
    const worst = Math.max(...Array.from(g, (gi, i) => Math.abs(a[i]! - (b[i]! - 0.5 * scale[n]! * gi))));
    t.true(worst < 1e-6, `${n}: off by ${worst}`);
  }
  t.true([...probe.grads.get('backbone.embed')!].some((x) => x !== 0));
  trainer.dispose();
});

test('bad factor names the option', (t) => {
  const e = t.throws(() => new DiscriminativeLrGroups({ factor: 0 }), { instanceOf: GraftError });
  t.true(e!.message.includes('option "factor"') && e!.message.includes('lr-groups:discriminative'), e!.message);
});

// What the ULMFiT preset gave the optimizer for LM fine-tuning before `topGroups`: the LSTM layers
// bottom to top, then the embedding (the tied decoder) at the top rate (fastai's awd_lstm_lm_split).
for (const nLayers of [2, 3]) {
  test(`topGroups [backbone.tokEmbed] on a ${nLayers}-layer AWD-LSTM with a tied LM head: the LM fine-tuning groups`, async (t) => {
    const opt = new AdamwOptimizer({ lr: 0.01 });
    const trainer = createTrainer({
      plugins: [
        new ToyDataset({ vocab: 11 }),
        new AwdLstmModel({ vocabSize: 11, embSize: 4, hiddenSize: 6, nLayers }),
        new LmHead({ tied: true }),
        new NextTokenObjective(),
        opt,
        new DiscriminativeLrGroups({ factor: 2.6, topGroups: [AWD_LSTM_EMBEDDING] }),
      ],
      logger: silentLogger(),
    });
    await trainer.setup();
    const layers = Array.from({ length: nLayers }, (_, i) => `backbone.rnn.${i}.*`);
    t.deepEqual(opt.groups, discriminativeGroups([...layers, AWD_LSTM_EMBEDDING], 2.6));
    t.is(opt.groupRates()[`group${nLayers}`], 0.01);
    trainer.dispose();
  });
}

test('withTopGroups moves the named groups up in the order listed; an unknown one is named', async (t) => {
  t.deepEqual(withTopGroups(['a', 'b', 'c', 'd'], ['b', 'a']), ['c', 'd', 'b', 'a']);
  t.deepEqual(withTopGroups(['a', 'b'], []), ['a', 'b']);
  t.is(withTopGroups(['a', 'b'], ['x']), 'x');
  // a name listed twice counts once (one optimizer group per layer group)
  t.deepEqual(withTopGroups(['a', 'b', 'c'], ['a', 'a']), ['b', 'c', 'a']);
  // the LM fine-tuning order, lrScale 1/2.6^k from the top: rnn.0 1/2.6^3, rnn.1 1/2.6^2, rnn.2 1/2.6, embedding 1
  const lm = discriminativeGroups(withTopGroups(['backbone.tokEmbed', 'backbone.rnn.0.*', 'backbone.rnn.1.*', 'backbone.rnn.2.*'], ['backbone.tokEmbed']) as string[], 2.6);
  t.deepEqual(lm.map((g) => [g.name, g.pattern]), [['group0', 'backbone.rnn.0.*'], ['group1', 'backbone.rnn.1.*'], ['group2', 'backbone.rnn.2.*'], ['group3', 'backbone.tokEmbed']]);
  const want = [1 / 17.576, 1 / 6.76, 1 / 2.6, 1];
  lm.forEach((g, i) => t.true(Math.abs(g.lrScale! - want[i]!) < 1e-12, `${g.name}: ${g.lrScale}`));
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset(), new AdamwOptimizer(), new DiscriminativeLrGroups({ topGroups: ['backbone.nope'] })],
    logger: silentLogger(),
  });
  const e = await t.throwsAsync(trainer.setup(), { instanceOf: GraftError });
  t.regex(e!.message, /lr-groups:discriminative.*option "topGroups".*"backbone\.nope" is not a layer group.*backbone\.embed, backbone\.proj\.\*, head\.\*\*/);
  trainer.dispose();
});
