import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createTrainer, epochsForMinSteps, type GraftPlugin, type TrainerApi, type TrainerOptionsInput } from '../../../core/index.ts';
import { PeriodicCheckpoint } from '../../../plugins/checkpoints/index.ts';
import { planCount } from '../../../plugins/datasets/shared/batchPlan.ts';
import { GradualUnfreezing } from '../../../plugins/freezing/index.ts';
import { epochsStarted, unfreezeAllAtStart, unfreezeDecisionText } from '../../../plugins/freezing/gradual-unfreezing/groupsToTrain.ts';
import { AdamwOptimizer } from '../../../plugins/optimizers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/**
 * The reference: the ULMFiT preset's classifierRunLength (presets/ulmfit-3-stage/classifierRunLength.ts,
 * removed when its rules became trainer and plugin options), verbatim. Its `unfreezeEvery` output is 0
 * exactly when every group should train from the first step.
 */
function classifierRunLength(o: {
  examples: number;
  batchSize: number;
  dropLast: boolean;
  epochs: number;
  minSteps: number;
  maxSteps: number;
  layerGroups: number;
  unfreezeEvery: number;
}) {
  const batches = Math.max(1, (o.dropLast ? Math.floor : Math.ceil)(o.examples / o.batchSize));
  const epochs = Math.max(o.epochs, Math.ceil(o.minSteps / batches));
  const epochsRun = o.maxSteps > 0 ? Math.min(epochs, Math.ceil(o.maxSteps / batches)) : epochs;
  const bottomUnfrozenAt = (o.layerGroups - 1) * o.unfreezeEvery;
  const unfreezeEvery = o.unfreezeEvery > 0 && bottomUnfrozenAt < epochsRun ? o.unfreezeEvery : 0;
  return { epochs, maxSteps: o.maxSteps, epochsRun, unfreezeEvery };
}

/** The same decision as Graft now makes it: dataset batches, trainer minSteps, plugin at beforeRun. */
function decided(o: Parameters<typeof classifierRunLength>[0]) {
  const batches = planCount(o.examples, o.batchSize, o.dropLast);
  const maxEpochs = o.minSteps > 0 ? epochsForMinSteps(o.epochs, o.minSteps, batches) : o.epochs;
  const epochsRun = epochsStarted(maxEpochs, o.maxSteps, batches);
  const all = unfreezeAllAtStart({ numGroups: o.layerGroups, unfreezeEvery: o.unfreezeEvery, whenShort: 'unfreeze-all', epochsRun });
  return { batches, maxEpochs, epochsRun, all };
}

// Hand-computed, ULMFiT's classifier (batchSize 32, dropLast, 5 layer groups: embedding, 3 LSTM
// layers, head; the bottom group trains from epoch 4, counted from 0) at the preset's epochs 5,
// minSteps 80, maxSteps 200 and a few others. `every` is classifierRunLength's unfreezeEvery output.
const TABLE: [examples: number, epochs: number, minSteps: number, maxSteps: number, unfreezeEvery: number, batches: number, maxEpochs: number, epochsRun: number, every: number][] = [
  // 4609 examples: 144 batches; ceil(80/144) = 1 < 5; ceil(200/144) = 2 epochs started < 5: all.
  [4609, 5, 80, 200, 1, 144, 5, 2, 0],
  // 1600: 50 batches; ceil(200/50) = 4 started, the bottom would need a 5th: all.
  [1600, 5, 80, 200, 1, 50, 5, 4, 0],
  // 1599: 49 batches; ceil(200/49) = 5 started: the bottom trains in the last: keep.
  [1599, 5, 80, 200, 1, 49, 5, 5, 1],
  // 1000: 31 batches; ceil(200/31) = 7, min(5, 7) = 5: keep.
  [1000, 5, 80, 200, 1, 31, 5, 5, 1],
  // 1000 asked 4 epochs: 4 started, 4 >= 4: all.
  [1000, 4, 80, 200, 1, 31, 4, 4, 0],
  // 100: 3 full batches (4 dropped); ceil(80/3) = 27 epochs; ceil(200/3) = 67: 27 started: keep.
  [100, 5, 80, 200, 1, 3, 27, 27, 1],
  // 20 < 32: one partial batch, never dropped; 80 epochs: keep.
  [20, 5, 80, 200, 1, 1, 80, 80, 1],
  // unfreezeEvery 2: the bottom from epoch 8; 100 examples, no minSteps, 9 epochs: keep; 8: all.
  [100, 9, 0, 0, 2, 3, 9, 9, 2],
  [100, 8, 0, 0, 2, 3, 8, 8, 0],
  // unfreezeEvery 0: always all.
  [100, 5, 80, 200, 0, 3, 27, 27, 0],
];

for (const [examples, epochs, minSteps, maxSteps, unfreezeEvery, batches, maxEpochs, epochsRun, every] of TABLE) {
  test(`${examples} examples, epochs ${epochs}, minSteps ${minSteps}, maxSteps ${maxSteps}, unfreezeEvery ${unfreezeEvery}: ${every === 0 ? 'every group from the start' : 'keep the schedule'}`, (t) => {
    const o = { examples, batchSize: 32, dropLast: true, epochs, minSteps, maxSteps, layerGroups: 5, unfreezeEvery };
    t.deepEqual(decided(o), { batches, maxEpochs, epochsRun, all: every === 0 });
    t.deepEqual(classifierRunLength(o), { epochs: maxEpochs, maxSteps, epochsRun, unfreezeEvery: every });
  });
}

test('the decision equals classifierRunLength on every case of a grid (examples, batch size, dropLast, limits, groups, interval)', (t) => {
  const diffs: string[] = [];
  let n = 0;
  for (const examples of [1, 3, 4, 5, 7, 8, 9, 31, 32, 33, 50, 100, 999, 1000, 1599, 1600, 4609])
    for (const batchSize of [4, 8, 32])
      for (const dropLast of [false, true])
        for (const epochs of [0, 1, 2, 3, 4, 5, 6, 9])
          for (const minSteps of [0, 1, 10, 40, 80])
            for (const maxSteps of [0, 1, 7, 80, 200])
              for (const layerGroups of [1, 2, 3, 5])
                for (const unfreezeEvery of [0, 1, 2, 3]) {
                  const o = { examples, batchSize, dropLast, epochs, minSteps, maxSteps, layerGroups, unfreezeEvery };
                  const ref = classifierRunLength(o);
                  const got = decided(o);
                  n++;
                  if (got.maxEpochs !== ref.epochs || got.epochsRun !== ref.epochsRun || got.all !== (ref.unfreezeEvery === 0)) {
                    diffs.push(`${JSON.stringify(o)}: ${JSON.stringify(got)} vs ${JSON.stringify(ref)}`);
                  }
                }
  t.is(n, 17 * 3 * 2 * 8 * 5 * 5 * 4 * 4);
  t.deepEqual(diffs.slice(0, 5), []);
});

test('the decision in words: what trains, and what a kept schedule leaves untrained', (t) => {
  const text = (unfreezeEvery: number, whenShort: 'keep-schedule' | 'unfreeze-all', epochsRun: number) =>
    unfreezeDecisionText({ numGroups: 5, unfreezeEvery, whenShort, epochsRun, all: unfreezeAllAtStart({ numGroups: 5, unfreezeEvery, whenShort, epochsRun }) });
  t.is(text(0, 'keep-schedule', 3), 'unfreezeEvery 0: all 5 layer groups train from the first step');
  t.is(text(1, 'unfreeze-all', 2), 'the run starts 2 epochs, fewer than the 5 it takes to unfreeze the bottom of 5 layer groups: every group trains from the first step (whenShort unfreeze-all)');
  t.is(text(1, 'unfreeze-all', 5), 'the run starts 5 epochs; one more of 5 layer groups every 1 epoch, the bottom one from epoch 5');
  // Epochs 1 and 2 train the top 1 and 2 groups: 3 never train.
  t.is(text(1, 'keep-schedule', 2), 'the run starts 2 epochs, fewer than the 5 it takes to unfreeze the bottom of 5 layer groups: keeping the schedule, the bottom 3 never train (whenShort unfreeze-all would train every group)');
  t.is(text(2, 'keep-schedule', 1), 'the run starts 1 epoch, fewer than the 9 it takes to unfreeze the bottom of 5 layer groups: keeping the schedule, the bottom 4 never train (whenShort unfreeze-all would train every group)');
});

// ToyModel's layer groups, bottom to top: backbone.embed (11 × 8 = 88 values), backbone.proj.*
// (8 × 8 + 8 = 72), head.** (8 × 11 + 11 = 99): 259 in all.
const HEAD = 99;
const TOP_TWO = 99 + 72;
const ALL = 259;

/** Trainable values and parameter names before every step, and once after setup. */
class TrainableProbe implements GraftPlugin {
  readonly meta = { name: 'callback:trainable-probe', kind: 'callback' } as const;
  readonly counts: number[] = [];
  readonly names: string[] = [];
  afterSetup = -1;
  apply(t: TrainerApi): void {
    t.tap('setup', this, () => void (this.afterSetup = t.params.count({ trainableOnly: true })), { stage: 'optimizer' });
    t.tap('beforeStep', this, () => {
      this.counts.push(t.params.count({ trainableOnly: true }));
      this.names.push(t.params.names().filter((n) => t.params.isTrainable(n)).sort().join(','));
    });
  }
}

function captureLogger(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.printf((i) => String(i.message)),
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c).trimEnd()), cb()) }) })],
  });
  return { logger, lines };
}

function make(gu: GradualUnfreezing, options: TrainerOptionsInput, extra: GraftPlugin[] = []) {
  const probe = new TrainableProbe();
  const { logger, lines } = captureLogger();
  const trainer = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToyDataset({ batches: 3 }), new AdamwOptimizer({ lr: 0.05 }), gu, probe, ...extra],
    options: { seed: 9, ...options },
    logger,
  });
  return { trainer, probe, lines };
}

/** The plugin's log lines but the "k of n layer groups train" ones each unfreezing logs. */
const decisionLines = (lines: string[]) => lines.filter((l) => l.startsWith('freezing:gradual-unfreezing: ') && !/: \d+ of \d+ layer groups train$/.test(l));

test('unfreeze-all on a short run (2 epochs of 3 batches, 3 groups): every value trains from the first step', async (t) => {
  const gu = new GradualUnfreezing({ whenShort: 'unfreeze-all' });
  const { trainer, probe, lines } = make(gu, { epochs: 2 });
  await trainer.fit();
  t.is(probe.afterSetup, HEAD, 'frozen at setup: the decision waits for the run');
  t.deepEqual(probe.counts, [ALL, ALL, ALL, ALL, ALL, ALL]);
  t.is(gu.trainingGroups, 3);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(decisionLines(lines), [
    'freezing:gradual-unfreezing: the run starts 2 epochs, fewer than the 3 it takes to unfreeze the bottom of 3 layer groups: every group trains from the first step (whenShort unfreeze-all)',
  ]);
  trainer.dispose();
});

test('keep-schedule on the same run: the head alone, then one group more; the bottom never trains', async (t) => {
  const gu = new GradualUnfreezing({ whenShort: 'keep-schedule' });
  const { trainer, probe, lines } = make(gu, { epochs: 2 });
  await trainer.fit();
  t.deepEqual(probe.counts, [HEAD, HEAD, HEAD, TOP_TWO, TOP_TWO, TOP_TWO]);
  t.is(gu.trainingGroups, 2);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(decisionLines(lines), [
    'freezing:gradual-unfreezing: the run starts 2 epochs, fewer than the 3 it takes to unfreeze the bottom of 3 layer groups: keeping the schedule, the bottom 1 never train (whenShort unfreeze-all would train every group)',
  ]);
  trainer.dispose();
});

test("unfreeze-all on a run raised by the trainer's minSteps (1 epoch asked, 9 steps: 3 epochs) keeps the schedule", async (t) => {
  const gu = new GradualUnfreezing({ whenShort: 'unfreeze-all' });
  const { trainer, probe } = make(gu, { epochs: 1, minSteps: 9 });
  await trainer.fit();
  t.deepEqual(probe.counts, [HEAD, HEAD, HEAD, TOP_TWO, TOP_TWO, TOP_TWO, ALL, ALL, ALL]);
  trainer.dispose();
});

test('unfreeze-all on a raised run capped by maxSteps (3 epochs, maxSteps 6: 2 started) trains everything', async (t) => {
  const gu = new GradualUnfreezing({ whenShort: 'unfreeze-all' });
  const { trainer, probe } = make(gu, { epochs: 1, minSteps: 9, maxSteps: 6 });
  await trainer.fit();
  t.deepEqual(probe.counts, [ALL, ALL, ALL, ALL, ALL, ALL]);
  trainer.dispose();
});

test('unfreezeEvery 0 freezes nothing, not even at setup', async (t) => {
  const gu = new GradualUnfreezing({ unfreezeEvery: 0 });
  const { trainer, probe, lines } = make(gu, { epochs: 2 });
  await trainer.fit();
  t.is(probe.afterSetup, ALL);
  t.deepEqual(probe.counts, Array(6).fill(ALL));
  t.is(gu.trainingGroups, 3);
  t.deepEqual(gu.getState(), { json: { unfrozen: 3 } });
  await new Promise((r) => setImmediate(r));
  t.deepEqual(decisionLines(lines), ['freezing:gradual-unfreezing: unfreezeEvery 0: all 3 layer groups train from the first step']);
  trainer.dispose();
});

for (const [whenShort, options, from, expected] of [
  ['unfreeze-all', { epochs: 1, minSteps: 6 }, 'step-4', [ALL, ALL, ALL, ALL, ALL, ALL]],
  ['keep-schedule', { epochs: 1, minSteps: 6 }, 'step-4', [HEAD, HEAD, HEAD, TOP_TWO, TOP_TWO, TOP_TWO]],
  ['unfreeze-all', { epochs: 1, minSteps: 9 }, 'step-2', [HEAD, HEAD, HEAD, TOP_TWO, TOP_TWO, TOP_TWO, ALL, ALL, ALL]],
] as const) {
  test(`${whenShort}, ${JSON.stringify(options)}, resumed from ${from}: same decision, same trainable flags each step, same parameters`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'graft-when-short-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const straightGu = new GradualUnfreezing({ whenShort });
    const straight = make(straightGu, options, [new PeriodicCheckpoint({ dir, every: 2, keep: 0, best: false, atEnd: false })]);
    await straight.trainer.fit();
    t.deepEqual(straight.probe.counts, [...expected]);

    const gu = new GradualUnfreezing({ whenShort });
    const resumed = make(gu, options);
    await resumed.trainer.resume(path.join(dir, from));
    await resumed.trainer.fit();
    const k = Number(from.slice('step-'.length));
    t.deepEqual(resumed.probe.names, straight.probe.names.slice(k));
    t.deepEqual(resumed.probe.counts, [...expected].slice(k));
    await new Promise((r) => setImmediate(r));
    t.deepEqual(decisionLines(resumed.lines), decisionLines(straight.lines));
    t.deepEqual(gu.getState(), straightGu.getState());
    for (const n of straight.trainer.params.names()) {
      t.deepEqual(resumed.trainer.params.get(n).dataSync(), straight.trainer.params.get(n).dataSync(), n);
      t.is(resumed.trainer.params.isTrainable(n), straight.trainer.params.isTrainable(n), n);
    }
    straight.trainer.dispose();
    resumed.trainer.dispose();
  });
}
