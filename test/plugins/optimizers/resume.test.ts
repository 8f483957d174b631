import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { GradClipCallback } from '../../../plugins/callbacks/index.ts';
import { GradualUnfreezing } from '../../../plugins/freezing/index.ts';
import { DiscriminativeLrGroups } from '../../../plugins/lr-groups/index.ts';
import { AdamwOptimizer, SgdOptimizer } from '../../../plugins/optimizers/index.ts';
import { SlantedTriangularScheduler } from '../../../plugins/schedulers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

class StopAt implements GraftPlugin {
  readonly meta = { name: 'callback:stop-at', kind: 'callback' } as const;
  constructor(private readonly step: number) {}
  apply(t: TrainerApi): void {
    t.tap('shouldStop', this, (ctx) => (ctx.state.step >= this.step ? 'test-stop' : undefined));
  }
}

const optimizers = {
  adamw: () => new AdamwOptimizer({ lr: 0.05, weightDecay: 0.1 }),
  sgd: () => new SgdOptimizer({ lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
};

function recipe(opt: keyof typeof optimizers, extra: GraftPlugin[] = []) {
  const gu = new GradualUnfreezing();
  const plugins = [
    new ToyModel(),
    new ToyObjective(),
    new ToyDataset({ batches: 4 }),
    optimizers[opt](),
    new SlantedTriangularScheduler({ cutFrac: 0.25, ratio: 8 }),
    new GradClipCallback({ maxNorm: 0.5 }),
    new DiscriminativeLrGroups(),
    gu,
    ...extra,
  ];
  return { gu, trainer: createTrainer({ plugins, options: { seed: 11, epochs: 3 }, logger: silentLogger() }) };
}

const values = (t: TrainerApi) => new Map(t.params.names().map((n) => [n, Array.from(t.params.get(n).dataSync())]));
const trainable = (t: TrainerApi) => t.params.names().filter((n) => t.params.isTrainable(n));

for (const opt of Object.keys(optimizers) as (keyof typeof optimizers)[]) {
  // Serial: the tensor count below is global, and trainers fitting at once interleave their steps.
  test.serial(`${opt}: save mid-epoch → resume → finish is bit-identical to an uninterrupted run`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-resume-'));
    try {
      const a = recipe(opt);
      await a.trainer.fit();
      const expected = values(a.trainer);
      const lrA = a.trainer.role('optimizer').learningRate;
      t.is(a.trainer.state.step, 12);
      a.trainer.dispose();

      // Stops at step 6: epoch 1, batch 2, with two layer groups unfrozen.
      const b = recipe(opt, [new StopAt(6)]);
      await b.trainer.fit();
      t.is(b.trainer.state.step, 6);
      t.is(b.gu.trainingGroups, 2);
      await b.trainer.save(dir);
      const trainableAtSave = trainable(b.trainer);
      b.trainer.dispose();

      const c = recipe(opt);
      await c.trainer.resume(dir);
      t.deepEqual(trainable(c.trainer), trainableAtSave);
      t.is(c.gu.trainingGroups, 2);
      const before = tf.memory().numTensors;
      await c.trainer.fit();
      t.is(c.trainer.state.step, 12);
      t.deepEqual(values(c.trainer), expected);
      t.is(c.trainer.role('optimizer').learningRate, lrA);
      // Nothing accumulates: the only new tensors are the embedding's slots (it was frozen at save)
      // and the norm grad-clip keeps.
      t.is(tf.memory().numTensors - before, (opt === 'adamw' ? 2 : 1) + 1);
      c.trainer.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
