import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createTrainer,
  GraftError,
  plannedSteps,
  resolveTrainerOptions,
  silentLogger,
  type Batch,
  type BatchOptions,
  type DatasetPlugin,
  type GraftPlugin,
  type Split,
  type TrainerApi,
  type TrainerOptionsInput,
} from '../../core/index.ts';
import { PeriodicCheckpoint } from '../../plugins/checkpoints/index.ts';
import { planBatches, planCount } from '../../plugins/datasets/shared/batchPlan.ts';
import { ToyModel, ToyObjective, ToySgd } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/**
 * The toy task over `n` examples, batched by the shared batch plan the real datasets use
 * (`planCount` / `planBatches`): with `dropLast`, the training batches per epoch are
 * floor(n / batchSize) when a full batch remains, one partial batch when n < batchSize.
 */
class PlannedToyDataset implements DatasetPlugin {
  readonly meta = { name: 'dataset:planned-toy', kind: 'dataset' } as const;
  constructor(readonly o: { n: number; batchSize: number; dropLast: boolean }) {}
  apply(_t: TrainerApi): void {}
  numBatches(split: Split): number {
    return split === 'train' ? planCount(this.o.n, this.o.batchSize, this.o.dropLast) : 1;
  }
  *batches(split: Split, opts: BatchOptions): IterableIterator<Batch> {
    const train = split === 'train';
    const plan = planBatches(this.o.n, {
      batchSize: this.o.batchSize,
      shuffle: train,
      seed: 7,
      epoch: opts.epoch,
      dropLast: train && this.o.dropLast,
      sortishPool: 0,
      lengths: new Int32Array(this.o.n).fill(5),
    });
    for (const rows of (train ? plan : plan.slice(0, 1)).slice(opts.from ?? 0)) {
      const T = 5;
      const ids = new Int32Array(rows.length * T);
      rows.forEach((ex, r) => {
        for (let t = 0; t < T; t++) ids[r * T + t] = (ex * 7 + t * 3) % 11;
      });
      const tg = ids.map((v) => (v * 3 + 1) % 11);
      yield { inputs: tf.tensor2d(ids, [rows.length, T], 'int32'), targets: tf.tensor2d(tg, [rows.length, T], 'int32') };
    }
  }
}

/** What plugins see at beforeRun (the run's planned length) and every step's data position. */
class RunProbe implements GraftPlugin {
  readonly meta = { name: 'callback:run-probe', kind: 'callback' } as const;
  maxEpochsAtStart = -1;
  plannedAtStart: number | undefined;
  readonly positions: string[] = [];
  apply(t: TrainerApi): void {
    t.tap('beforeRun', this, (ctx) => {
      this.maxEpochsAtStart = ctx.state.maxEpochs;
      this.plannedAtStart = plannedSteps(ctx.state.maxSteps, ctx.state.maxEpochs, t.role('dataset').numBatches('train'));
    }, { stage: 'observe' });
    t.tap('beforeStep', this, (ctx) => void this.positions.push(`${ctx.state.epoch}:${ctx.state.batchInEpoch}`));
  }
}

async function run(data: { n: number; batchSize: number; dropLast: boolean }, options: TrainerOptionsInput, extra: GraftPlugin[] = []) {
  const probe = new RunProbe();
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.1), new PlannedToyDataset(data), probe, ...extra],
    options: { seed: 4, ...options },
    logger: silentLogger(),
  });
  const res = await trainer.fit();
  return { trainer, probe, res };
}

// 16 examples in batches of 4: 4 batches an epoch.
const FOUR = { n: 16, batchSize: 4, dropLast: false };

test('minSteps: an integer option, default 0, at least 0; errors name it', (t) => {
  t.is(resolveTrainerOptions().minSteps, 0);
  t.is(resolveTrainerOptions({ minSteps: 80 }).minSteps, 80);
  for (const bad of [-1, 1.5]) {
    const e = t.throws(() => resolveTrainerOptions({ minSteps: bad }), { instanceOf: GraftError });
    t.regex(e!.message, /option "minSteps"/);
  }
});

for (const [epochs, minSteps, raised, steps] of [
  [1, 10, 3, 12], // ceil(10 / 4) = 3
  [1, 12, 3, 12], // exactly 3 epochs
  [1, 13, 4, 16], // ceil(13 / 4) = 4
  [2, 5, 2, 8], // ceil(5 / 4) = 2: the 2 asked for are enough
  [4, 10, 4, 16], // ceil(10 / 4) = 3 < 4: no raise
  [3, 0, 3, 12], // off
] as const) {
  test(`4 batches an epoch, epochs ${epochs}, minSteps ${minSteps}: ${raised} epochs, ${steps} steps`, async (t) => {
    const { trainer, probe, res } = await run(FOUR, { epochs, minSteps });
    t.is(probe.maxEpochsAtStart, raised, 'beforeRun sees the raised epochs');
    t.is(probe.plannedAtStart, steps, 'planned steps (schedules, progress) at beforeRun');
    t.is(trainer.state.maxEpochs, raised);
    t.is(res.state.step, steps);
    t.is(res.state.epoch, raised);
    t.is(res.stopReason, 'max-epochs');
    trainer.dispose();
  });
}

test('maxSteps still caps a raised run: 1 epoch, minSteps 10 (3 epochs), maxSteps 7', async (t) => {
  const { trainer, probe, res } = await run(FOUR, { epochs: 1, minSteps: 10, maxSteps: 7 });
  t.is(probe.maxEpochsAtStart, 3);
  t.is(probe.plannedAtStart, 7);
  t.is(res.state.step, 7);
  t.is(res.stopReason, 'max-steps');
  t.deepEqual(probe.positions, ['0:0', '0:1', '0:2', '0:3', '1:0', '1:1', '1:2']);
  trainer.dispose();
});

test('with dropLast the epochs are raised from floor(n / batchSize) batches: 10 examples in 4s', async (t) => {
  // dropLast: 2 batches an epoch, ceil(7 / 2) = 4 epochs, 8 steps.
  const dropped = await run({ n: 10, batchSize: 4, dropLast: true }, { epochs: 1, minSteps: 7 });
  t.is(dropped.probe.maxEpochsAtStart, 4);
  t.is(dropped.res.state.step, 8);
  t.is(dropped.res.state.examples, 32);
  t.deepEqual(dropped.probe.positions, ['0:0', '0:1', '1:0', '1:1', '2:0', '2:1', '3:0', '3:1']);
  dropped.trainer.dispose();
  // Kept: 3 batches (4, 4, 2), ceil(7 / 3) = 3 epochs, 9 steps.
  const kept = await run({ n: 10, batchSize: 4, dropLast: false }, { epochs: 1, minSteps: 7 });
  t.is(kept.probe.maxEpochsAtStart, 3);
  t.is(kept.res.state.step, 9);
  t.is(kept.res.state.examples, 30);
  kept.trainer.dispose();
});

test('with dropLast and fewer examples than batchSize: one partial batch an epoch, epochs = minSteps', async (t) => {
  // 3 examples, batchSize 4: one batch of 3 (never dropped), ceil(5 / 1) = 5 epochs.
  const { trainer, probe, res } = await run({ n: 3, batchSize: 4, dropLast: true }, { epochs: 2, minSteps: 5 });
  t.is(probe.maxEpochsAtStart, 5);
  t.is(res.state.step, 5);
  t.is(res.state.examples, 15);
  t.is(res.stopReason, 'max-epochs');
  trainer.dispose();
});

test('an empty training split is still an error with minSteps (no raise from 0 batches)', async (t) => {
  const probe = new RunProbe();
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(), new PlannedToyDataset({ n: 0, batchSize: 4, dropLast: true }), probe],
    options: { epochs: 2, minSteps: 5 },
    logger: silentLogger(),
  });
  await t.throwsAsync(() => trainer.fit(), { instanceOf: GraftError, message: /no batches/ });
  t.is(probe.maxEpochsAtStart, 2);
  trainer.dispose();
});

test('a raised dropLast run resumed mid-epoch ends as the straight one: same length, positions and parameters', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-minsteps-droplast-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = { n: 10, batchSize: 4, dropLast: true };
  const options = { epochs: 1, minSteps: 7, maxSteps: 7 };
  const full = await run(data, options, [new PeriodicCheckpoint({ dir, every: 3, keep: 0, best: false, atEnd: false })]);
  t.is(full.res.state.step, 7);
  t.is(full.res.stopReason, 'max-steps');

  const probe = new RunProbe();
  const resumed = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.1), new PlannedToyDataset(data), probe],
    options: { seed: 4, ...options },
    logger: silentLogger(),
  });
  await resumed.resume(path.join(dir, 'step-3'));
  // The checkpoint's own length is not taken: limits come from the new run's options, raised again in fit().
  t.is(resumed.state.maxEpochs, 1);
  t.is(resumed.state.step, 3);
  const again = await resumed.fit();
  t.is(probe.maxEpochsAtStart, 4);
  t.is(again.state.step, 7);
  t.is(again.stopReason, 'max-steps');
  t.deepEqual(probe.positions, full.probe.positions.slice(3));
  for (const n of full.trainer.params.names()) t.deepEqual(resumed.params.get(n).dataSync(), full.trainer.params.get(n).dataSync(), n);
  full.trainer.dispose();
  resumed.dispose();
});
