import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type GraftPlugin, type PluginState, type TrainerApi } from '../../core/index.ts';
import { NextTokenObjective } from '../../plugins/objectives/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../plugins/optimizers/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd, toyPlugins } from '../helpers/toy.ts';

// The claims of CONTRIBUTING.md's "The hook contract", each checked here.

test.before(async () => {
  await tf.setBackend('cpu');
});

function trainer(extra: GraftPlugin[], o: { batches?: number; epochs?: number } = {}) {
  return createTrainer({ plugins: [...toyPlugins({ batches: o.batches ?? 3 }), ...extra], options: { epochs: o.epochs ?? 1 }, logger: silentLogger() });
}

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'graft-contract-'));
}

/** Replaces every value it can, never disposing what it replaced: the trainer frees those. */
function replacer(name: string): GraftPlugin {
  return {
    meta: { name: `callback:${name}`, kind: 'callback' },
    apply(tr: TrainerApi) {
      const shift = (b: Record<string, tf.Tensor>) => ({ ...b, inputs: tf.clone(b.inputs!) });
      tr.tap('transformBatch', this, shift, { stage: 'transform' });
      tr.tap('transformEvalBatch', this, shift, { stage: 'transform' });
      tr.tap('afterForward', this, (o) => ({ ...o, logits: tf.mul(o.logits!, 1) }));
      tr.tap('onLoss', this, (loss) => tf.add(loss, 0) as tf.Scalar);
      tr.tap('afterBackward', this, (g) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, tf.mul(v, 1)])));
    },
  };
}

test.serial('replaced batches, outputs, losses and gradients are freed by the trainer, chained taps included', async (t) => {
  // Two replacers: the second replaces what the first made, so each hook sees a chain.
  const tr = trainer([replacer('a'), replacer('b')]);
  await tr.setup();
  await tr.evaluate(); // first-call allocations (none expected, but be fair to the count below)
  const before = tf.memory().numTensors;
  await tr.fit();
  t.is(tf.memory().numTensors, before, 'after fit');
  await tr.evaluate();
  t.is(tf.memory().numTensors, before, 'after evaluate');
  tr.dispose();
});

test('transformBatch: with no tap the trainer skips the call, but a hook interceptor still sees every step; with a tap, every step calls it', async (t) => {
  const calls: number[] = [];
  const tr = trainer([]);
  tr.hooks.transformBatch.intercept({ call: () => void calls.push(tr.state.step) });
  await tr.fit();
  t.deepEqual(calls, [0, 1, 2]);
  let tapped = 0;
  const counting: GraftPlugin = { meta: { name: 'callback:count', kind: 'callback' }, apply: (api) => api.tap('transformBatch', counting, (b) => (tapped++, b)) };
  const tr2 = trainer([counting]);
  await tr2.fit();
  t.is(tapped, 3);
  tr.dispose();
  tr2.dispose();
});

test('state.step: the optimizer hooks see the old step, afterStep the new one; a skipped update keeps it and still runs afterOptimizerStep; a cancelled step runs neither', async (t) => {
  const log: string[] = [];
  let optimizerCalls = 0;
  const probe: GraftPlugin = {
    meta: { name: 'callback:probe', kind: 'callback' },
    apply(tr) {
      const opt = tr.role('optimizer');
      const step = opt.step.bind(opt);
      opt.step = (g, ctx) => (optimizerCalls++, step(g, ctx));
      tr.tap('beforeStep', this, (ctx) => {
        log.push(`beforeStep ${ctx.state.step}`);
        if (ctx.state.batchInEpoch === 3) ctx.control.skipBatch('test');
      });
      tr.tap('afterCancelStep', this, (ctx) => void log.push(`afterCancelStep ${ctx.state.step}`));
      tr.tap('afterBackward', this, (g, ctx) => {
        if (ctx.state.batchInEpoch === 1) ctx.control.skipOptimizerStep();
        return g;
      });
      tr.tap('beforeOptimizerStep', this, (ctx) => void log.push(`beforeOptimizerStep ${ctx.state.step}`));
      tr.tap('afterOptimizerStep', this, (ctx) => void log.push(`afterOptimizerStep ${ctx.state.step}${ctx.control.optimizerSkipped ? ' skipped' : ''}`));
      tr.tap('afterStep', this, (ctx) => void log.push(`afterStep ${ctx.state.step}`));
    },
  };
  const tr = trainer([probe], { batches: 4 });
  await tr.fit();
  t.deepEqual(log, [
    'beforeStep 0', 'beforeOptimizerStep 0', 'afterOptimizerStep 0', 'afterStep 1',
    'beforeStep 1', 'beforeOptimizerStep 1', 'afterOptimizerStep 1 skipped', 'afterStep 1',
    'beforeStep 1', 'beforeOptimizerStep 1', 'afterOptimizerStep 1', 'afterStep 2',
    // a cancelled step: no optimizer hooks, no afterStep
    'beforeStep 2', 'afterCancelStep 2',
  ]);
  t.is(optimizerCalls, 2);
  t.is(tr.state.epoch, 1, 'four batches, one epoch done');
  tr.dispose();
});

/** A plugin with one state tensor it owns, recording what setState receives. */
class Stateful implements GraftPlugin {
  readonly meta;
  readonly own = tf.variable(tf.tensor1d([1, 2, 3]), false);
  received: PluginState[] = [];
  constructor(name: string, private readonly saves = true) {
    this.meta = { name: `callback:${name}`, kind: 'callback' } as const;
  }
  apply(): void {}
  getState(): PluginState | undefined {
    return this.saves ? { json: { n: 1 }, tensors: { own: this.own } } : undefined;
  }
  setState(s: PluginState): void {
    this.received.push(s);
  }
  dispose(): void {
    this.own.dispose();
  }
}

test.serial('state: save reads getState tensors and leaves them to the plugin; setState tensors are freed after it returns', async (t) => {
  const dir = tmp();
  try {
    const a = new Stateful('a');
    const quiet = new Stateful('quiet', false);
    const tr = trainer([a, quiet]);
    await tr.fit();
    const before = tf.memory().numTensors;
    await tr.save(dir);
    t.false(a.own.isDisposed, 'the writer does not dispose what getState returned');
    t.is(tf.memory().numTensors, before);
    tr.dispose();

    const a2 = new Stateful('a');
    const quiet2 = new Stateful('quiet');
    const fresh = new Stateful('fresh');
    const back = trainer([a2, quiet2, fresh]);
    await back.resume(dir);
    t.is(a2.received.length, 1);
    t.deepEqual(a2.received[0]!.json, { n: 1 });
    t.deepEqual(Array.from(await a2.own.data()), [1, 2, 3]);
    t.true(a2.received[0]!.tensors!.own!.isDisposed, 'tensors handed to setState are freed after it returns');
    // In the checkpoint without state: called with json undefined and no tensors.
    t.deepEqual(quiet2.received, [{ json: undefined, tensors: {} }]);
    // Not in the checkpoint at all: never called.
    t.deepEqual(fresh.received, []);
    back.dispose();

    // A warm start (select) restores no plugin state.
    const a3 = new Stateful('a');
    const warm = trainer([a3]);
    await warm.setup();
    await warm.load(dir, { select: 'backbone.**' });
    t.deepEqual(a3.received, []);
    warm.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [label, make] of [['sgd', () => new SgdOptimizer({ lr: 0.1, momentum: 0.9 })], ['adamw', () => new AdamwOptimizer({ lr: 0.01 })]] as const) {
  test(`optimizer ${label} updates parameters with assign: same tf.Variable, new values; a clone keeps the old ones`, async (t) => {
    const tr = createTrainer({ plugins: [new ToyModel(), new ToyObjective(), make(), new ToyDataset({ batches: 2 })], logger: silentLogger() });
    await tr.setup();
    const v = tr.params.get('head.out.kernel');
    const old = tf.clone(v);
    const oldValues = Array.from(await old.data());
    await tr.fit();
    t.is(tr.params.get('head.out.kernel'), v);
    t.notDeepEqual(Array.from(await v.data()), oldValues);
    t.deepEqual(Array.from(await old.data()), oldValues);
    old.dispose();
    tr.dispose();
  });
}

test('metric names carry the split: <split>_loss from the trainer, <split>_perplexity from objective:next-token', async (t) => {
  const tr = createTrainer({ plugins: [new ToyModel(), new NextTokenObjective(), new ToySgd(), new ToyDataset()], logger: silentLogger() });
  await tr.setup();
  const v = await tr.evaluate();
  t.deepEqual(Object.keys(v).sort(), ['validation_loss', 'validation_perplexity']);
  t.true(Math.abs(v.validation_perplexity! - Math.exp(v.validation_loss!)) < 1e-9);
  t.deepEqual(Object.keys(await tr.evaluate('test')).sort(), ['test_loss', 'test_perplexity']);
  t.deepEqual(Object.keys(tr.state.metrics).sort(), ['test_loss', 'test_perplexity', 'validation_loss', 'validation_perplexity']);
  tr.dispose();
});
