import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, GraftError, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { LmHead, SequenceClassifierHead } from '../../../plugins/heads/index.ts';
import { LayerwiseDecayLrGroups, layerwiseDecayGroups, withHeadOnTop } from '../../../plugins/lr-groups/index.ts';
import { GptModel } from '../../../plugins/models/index.ts';
import { ClassificationObjective, NextTokenObjective } from '../../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset } from '../../helpers/toy.ts';
import { pluginConformance } from '../../conformance/index.ts';
import { SEQ_TOY, SeqToyDataset } from '../heads/sequenceToy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

const GPT2 = { vocabSize: SEQ_TOY.vocab, contextLength: 8, nLayers: 2, nHeads: 2, dModel: 8, dropout: 0 };

/** A 2-layer GPT with a sequence-classifier head on the toy sequence task. */
function gptClassifier(optimizer: GraftPlugin, lrGroups: GraftPlugin, extra: GraftPlugin[] = [], maxSteps = 0) {
  return createTrainer({
    plugins: [
      new SeqToyDataset({ batches: 2, batchSize: 4 }),
      new GptModel(GPT2),
      new SequenceClassifierHead({ dropout: 0 }),
      new ClassificationObjective(),
      optimizer,
      lrGroups,
      ...extra,
    ],
    options: { seed: 3, maxSteps },
    logger: silentLogger(),
  });
}

test('group k of K gets decay^(K-1-k); the top group headMultiplier', (t) => {
  const g = layerwiseDecayGroups(['emb', 'b0', 'b1', 'lnF', 'head'], 0.8);
  t.deepEqual(g.map((x) => x.name), ['group0', 'group1', 'group2', 'group3', 'group4']);
  t.deepEqual(g.map((x) => x.pattern), ['emb', 'b0', 'b1', 'lnF', 'head']);
  // 0.8^4, 0.8^3, 0.8^2, 0.8, 1
  const want = [0.4096, 0.512, 0.64, 0.8, 1];
  g.forEach((x, i) => t.true(Math.abs(x.lrScale! - want[i]!) < 1e-12, `${x.name}: ${x.lrScale} vs ${want[i]}`));
  t.deepEqual(layerwiseDecayGroups(['a', 'b', 'c'], 0.5, 10).map((x) => x.lrScale), [0.25, 0.5, 10]);
  t.deepEqual(layerwiseDecayGroups(['a'], 0.5).map((x) => x.lrScale), [1]);
  t.deepEqual(layerwiseDecayGroups(['a', 'b'], 1).map((x) => x.lrScale), [1, 1], 'decay 1 is full fine-tuning');
});

test("withHeadOnTop puts the head's groups together, as one group on top", (t) => {
  t.deepEqual(withHeadOnTop(['a', 'b'], ['head.**']), ['a', 'b', 'head.**']);
  t.deepEqual(withHeadOnTop(['a', ['b', 'c']], ['head.x.*', ['head.y', 'head.z']]), ['a', ['b', 'c'], ['head.x.*', 'head.y', 'head.z']]);
  t.deepEqual(withHeadOnTop(['a', 'b'], []), ['a', 'b']);
});

test('2-layer GPT + classifier head: embeddings 0.4096, block 0 0.512, block 1 0.64, final LN 0.8, head 1 (× lr)', async (t) => {
  const opt = new AdamwOptimizer({ lr: 0.01 });
  const trainer = gptClassifier(opt, new LayerwiseDecayLrGroups({ decay: 0.8 }));
  await trainer.setup();
  t.deepEqual(opt.groups.map((g) => g.pattern), [['backbone.tokEmbed', 'backbone.posEmbed'], 'backbone.blocks.0.**', 'backbone.blocks.1.**', 'backbone.lnF.**', 'head.**']);
  const rates = opt.groupRates();
  t.deepEqual(Object.keys(rates), ['group0', 'group1', 'group2', 'group3', 'group4'], 'every parameter is in a group: no default group');
  const want = { group0: 0.004096, group1: 0.00512, group2: 0.0064, group3: 0.008, group4: 0.01 };
  for (const [g, r] of Object.entries(want)) t.true(Math.abs(rates[g]! - r) < 1e-12, `${g}: ${rates[g]} vs ${r}`);
  const groupOf: Record<string, string> = {
    'backbone.tokEmbed': 'group0',
    'backbone.posEmbed': 'group0',
    'backbone.blocks.0.attn.qkv.kernel': 'group1',
    'backbone.blocks.0.ln2.beta': 'group1',
    'backbone.blocks.1.mlp.proj.bias': 'group2',
    'backbone.lnF.gamma': 'group3',
    'head.cls.out.kernel': 'group4',
  };
  for (const [n, g] of Object.entries(groupOf)) t.is(opt.groupOf(n), g, n);
  trainer.dispose();
});

test('headMultiplier sets the head\'s rate; with a tied LM head (no head groups) the final LN is the top', async (t) => {
  const opt = new AdamwOptimizer({ lr: 1 });
  const a = gptClassifier(opt, new LayerwiseDecayLrGroups({ decay: 0.5, headMultiplier: 10 }));
  await a.setup();
  t.deepEqual(opt.groupRates(), { group0: 1 / 16, group1: 1 / 8, group2: 1 / 4, group3: 1 / 2, group4: 10 });
  a.dispose();
  const opt2 = new AdamwOptimizer({ lr: 1 });
  const b = createTrainer({
    plugins: [new ToyDataset({ vocab: 11 }), new GptModel({ ...GPT2, vocabSize: 11 }), new LmHead({ tied: true }), new NextTokenObjective(), opt2, new LayerwiseDecayLrGroups({ decay: 0.5 })],
    logger: silentLogger(),
  });
  await b.setup();
  t.deepEqual(opt2.groupRates(), { group0: 1 / 8, group1: 1 / 4, group2: 1 / 2, group3: 1 });
  t.is(opt2.groupOf('backbone.lnF.beta'), 'group3');
  b.dispose();
});

/** Copies the gradients and parameters the optimizer is about to use, and the parameters after. */
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

test('one SGD step on the 2-layer GPT: each parameter moves by Δp = -lr · 0.8^(4-k) · g', async (t) => {
  const probe = new StepProbe();
  const lr = 0.5;
  const trainer = gptClassifier(new SgdOptimizer({ lr, momentum: 0 }), new LayerwiseDecayLrGroups({ decay: 0.8 }), [probe], 1);
  await trainer.fit();
  const scaleOf = (n: string) =>
    n.startsWith('head.') ? 1 : n.startsWith('backbone.lnF.') ? 0.8 : n.startsWith('backbone.blocks.1.') ? 0.64 : n.startsWith('backbone.blocks.0.') ? 0.512 : 0.4096;
  t.deepEqual([...probe.grads.keys()].sort(), trainer.params.names({ role: 'param' }).sort(), 'every parameter had a gradient');
  const seen = new Set<number>();
  for (const [n, g] of probe.grads) {
    const b = probe.before.get(n)!;
    const a = probe.after.get(n)!;
    const s = scaleOf(n);
    seen.add(s);
    const worst = Math.max(...Array.from(g, (gi, i) => Math.abs(a[i]! - (b[i]! - lr * s * gi))));
    t.true(worst < 1e-6, `${n}: off by ${worst}`);
    // where the gradient is large enough to see in float32, the step's ratio to -lr·g is the group's scale
    const i = g.reduce((best, gi, j) => (Math.abs(gi) > Math.abs(g[best]!) ? j : best), 0);
    if (Math.abs(lr * g[i]!) > 1e-3) t.true(Math.abs((b[i]! - a[i]!) / (lr * g[i]!) - s) < 1e-3, `${n}: step ratio ${(b[i]! - a[i]!) / (lr * g[i]!)} vs ${s}`);
  }
  t.deepEqual([...seen].sort(), [0.4096, 0.512, 0.64, 0.8, 1]);
  trainer.dispose();
});

test('bad decay names the option; a model without layer groups is an error naming the plugin', async (t) => {
  for (const decay of [0, 1.5]) {
    const e = t.throws(() => new LayerwiseDecayLrGroups({ decay }), { instanceOf: GraftError });
    t.regex(e!.message, /lr-groups:layerwise-decay.*option "decay"/);
  }
  const e = t.throws(() => new LayerwiseDecayLrGroups({ headMultiplier: 0 }), { instanceOf: GraftError });
  t.regex(e!.message, /option "headMultiplier"/);
  const noGroups: GraftPlugin = {
    meta: { name: 'model:flat', kind: 'model' },
    apply: () => {},
    forward: () => ({}),
    layerGroups: () => [],
  } as GraftPlugin;
  const trainer = createTrainer({ plugins: [new ToyDataset(), noGroups, new AdamwOptimizer(), new LayerwiseDecayLrGroups()], logger: silentLogger() });
  await t.throwsAsync(trainer.setup(), { message: /lr-groups:layerwise-decay.*declare no layer groups/ });
  trainer.dispose();
});

test('one lr-groups plugin per recipe: layer-wise decay and discriminative rates conflict', async (t) => {
  const { DiscriminativeLrGroups } = await import('../../../plugins/lr-groups/index.ts');
  const e = t.throws(() => gptClassifier(new AdamwOptimizer(), new LayerwiseDecayLrGroups(), [new DiscriminativeLrGroups()]), { instanceOf: GraftError });
  t.regex(e!.message, /lr-groups:layerwise-decay.*lr-groups:discriminative|lr-groups:discriminative.*lr-groups:layerwise-decay/);
});

const sgd = () => [new SgdOptimizer({ lr: 0.1, momentum: 0.9 })];
pluginConformance(test, { make: () => new LayerwiseDecayLrGroups({ decay: 0.5, headMultiplier: 2 }), extra: sgd });
