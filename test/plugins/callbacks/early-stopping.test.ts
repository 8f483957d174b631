import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { CoreResources, createTrainer, silentLogger, type Batch, type ForwardContext, type GraftPlugin, type ObjectivePlugin, type Outputs, type TrainerApi } from '../../../core/index.ts';
import { EarlyStoppingCallback } from '../../../plugins/callbacks/early-stopping/EarlyStoppingCallback.ts';
import { earlyStoppingUpdate, INITIAL_EARLY_STOPPING } from '../../../plugins/callbacks/early-stopping/earlyStoppingUpdate.ts';
import { isImprovement } from '../../../plugins/callbacks/early-stopping/isImprovement.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import { PeriodicCheckpoint } from '../../../plugins/checkpoints/periodic/PeriodicCheckpoint.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/**
 * The toy objective for training; in evaluation, the next value of a script (the trainer averages
 * a constant over the batches, so validation_loss is that value). Values are exact in float32.
 */
class ScriptedObjective implements ObjectivePlugin {
  readonly meta = { name: 'objective:scripted', kind: 'objective' } as const;
  private readonly toy = new ToyObjective();
  private i = 0;
  constructor(private readonly script: number[]) {}
  apply(t: TrainerApi): void {
    t.tap('beforeEval', this, () => void this.i++);
  }
  loss(out: Outputs, batch: Batch, ctx: ForwardContext): tf.Scalar {
    if (!ctx.training) return tf.scalar(this.script[Math.min(this.i, this.script.length) - 1]!);
    return this.toy.loss(out, batch);
  }
}

function plugins(script: number[], ...rest: GraftPlugin[]): GraftPlugin[] {
  return [new ToyModel(), new ScriptedObjective(script), new ToySgd(), new ToyDataset({ batches: 4 }), ...rest];
}

/** Evaluate after every step, nowhere else: evaluation k happens at step k. */
const everyStep = () => new EvaluateCallback({ every: 1, atEpochEnd: false, atEnd: false });

function snapshot(tr: TrainerApi): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = tr.params.get(n).dataSync() as Float32Array;
  return out;
}

test('isImprovement: min and max modes, minDelta, first value, NaN', (t) => {
  t.true(isImprovement(3, null, 'min', 0));
  t.true(isImprovement(2.9, 3, 'min', 0));
  t.false(isImprovement(3, 3, 'min', 0), 'equal is not better');
  t.false(isImprovement(2.6, 3, 'min', 0.5));
  t.true(isImprovement(2.4, 3, 'min', 0.5));
  t.true(isImprovement(3.1, 3, 'max', 0));
  t.false(isImprovement(2.9, 3, 'max', 0));
  t.false(isImprovement(3.4, 3, 'max', 0.5));
  t.false(isImprovement(NaN, null, 'min', 0));
  t.false(isImprovement(NaN, 3, 'max', 0));
});

test('earlyStoppingUpdate counts evaluations since the best and stops at patience', (t) => {
  const rule = { mode: 'min' as const, patience: 2, minDelta: 0 };
  let s = INITIAL_EARLY_STOPPING;
  const trace: [number, boolean, boolean][] = [];
  [5, 4, 4.5, 3, 3.5, 3.2].forEach((v, i) => {
    const r = earlyStoppingUpdate(s, v, i + 1, rule);
    s = r.state;
    trace.push([r.state.wait, r.improved, r.stop]);
  });
  t.deepEqual(trace, [
    [0, true, false],
    [0, true, false],
    [1, false, false],
    [0, true, false],
    [1, false, false],
    [2, false, true],
  ]);
  t.deepEqual(s, { best: 3, bestStep: 4, wait: 2 });
});

test('stops the run once the metric has not improved for `patience` evaluations', async (t) => {
  const es = new EarlyStoppingCallback({ patience: 2 });
  const tr = createTrainer({ plugins: plugins([5, 4, 4.5, 3, 3.5, 3.2, 1, 1], everyStep(), es), options: { epochs: 5 }, logger: silentLogger() });
  const res = await tr.fit();
  t.is(res.state.step, 6);
  t.is(res.stopReason, 'early-stopping: validation_loss has not improved for 2 evaluations (best 3 at step 4)');
  t.deepEqual(es.progress, { best: 3, bestStep: 4, wait: 2 });
  tr.dispose();
});

test('minDelta: changes smaller than it do not count', async (t) => {
  const es = new EarlyStoppingCallback({ patience: 2, minDelta: 0.5 });
  const tr = createTrainer({ plugins: plugins([5, 4.75, 4.625, 1], everyStep(), es), options: { epochs: 5 }, logger: silentLogger() });
  const res = await tr.fit();
  t.is(res.state.step, 3);
  t.deepEqual(es.progress, { best: 5, bestStep: 1, wait: 2 });
  tr.dispose();
});

test('mode max: higher is better', async (t) => {
  const es = new EarlyStoppingCallback({ patience: 2, mode: 'max' });
  const tr = createTrainer({ plugins: plugins([1, 2, 1.5, 2, 3], everyStep(), es), options: { epochs: 5 }, logger: silentLogger() });
  const res = await tr.fit();
  t.is(res.state.step, 4);
  t.deepEqual(es.progress, { best: 2, bestStep: 2, wait: 2 });
  tr.dispose();
});

test('passes the metrics through unchanged and ignores evaluations outside training', async (t) => {
  const es = new EarlyStoppingCallback({ patience: 1 });
  const tr = createTrainer({ plugins: plugins([7, 6], es), options: { epochs: 1 }, logger: silentLogger() });
  t.deepEqual(await tr.evaluate(), { validation_loss: 7 });
  t.deepEqual(es.progress, { best: null, bestStep: -1, wait: 0 }, 'an evaluation before fit spends no patience');
  tr.dispose();
});

test('a metric the evaluation does not report is warned about once and never stops the run', async (t) => {
  const lines: string[] = [];
  const logger = winston.createLogger({
    format: winston.format.printf((i) => String(i.message)),
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) })],
  });
  const es = new EarlyStoppingCallback({ monitor: 'accuracy', patience: 1 });
  const tr = createTrainer({ plugins: plugins([1, 2, 3, 4], everyStep(), es), options: { epochs: 1 }, logger });
  const res = await tr.fit();
  t.is(res.stopReason, 'max-epochs');
  const warns = lines.filter((l) => l.includes('callback:early-stopping'));
  t.is(warns.length, 1);
  t.regex(warns[0]!, /option "monitor" is "accuracy".*validation_loss/);
  tr.dispose();
});

test('no evaluation during training: a warning saying how to evaluate, and nothing in the stage result', async (t) => {
  const lines: string[] = [];
  const logger = winston.createLogger({
    format: winston.format.printf((i) => String(i.message)),
    transports: [new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) })],
  });
  const tr = createTrainer({ plugins: plugins([1, 2], new EarlyStoppingCallback({ restoreBest: true })), options: { epochs: 1 }, logger });
  await tr.fit();
  const warns = lines.filter((l) => l.includes('callback:early-stopping'));
  t.is(warns.length, 1);
  t.regex(warns[0]!, /no evaluation ran during training, so nothing was chosen.*callback:evaluate/);
  t.is(tr.resources.get(CoreResources.stageResult)?.early_stopping, undefined);
  tr.dispose();
});

test('the stage result says which evaluation was restored', async (t) => {
  const tr = createTrainer({ plugins: plugins([5, 1, 3, 3], everyStep(), new EarlyStoppingCallback({ patience: 5, restoreBest: true })), options: { epochs: 1 }, logger: silentLogger() });
  await tr.fit();
  t.deepEqual(tr.resources.get(CoreResources.stageResult)?.early_stopping, { monitor: 'validation_loss', best: 1, bestStep: 2, restored: true });
  tr.dispose();
});

// Serial: tensor counts are process-wide, and concurrent tests would change them.
test.serial('restoreBest puts back the parameters of the best evaluation and frees its copies', async (t) => {
  let atBest: Record<string, Float32Array> = {};
  let atLast: Record<string, Float32Array> = {};
  const recorder: GraftPlugin = {
    meta: { name: 'callback:record', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('afterStep', this, (ctx) => {
        if (ctx.state.step === 2) atBest = snapshot(ctx.trainer);
        if (ctx.state.step === 4) atLast = snapshot(ctx.trainer);
      });
    },
  };
  const es = new EarlyStoppingCallback({ patience: 2, restoreBest: true });
  const tr = createTrainer({ plugins: plugins([5, 1, 3, 3], everyStep(), es, recorder), options: { epochs: 5 }, logger: silentLogger() });
  await tr.setup();
  const tensorsBefore = tf.memory().numTensors;
  const res = await tr.fit();
  t.is(res.state.step, 4);
  const now = snapshot(tr);
  t.deepEqual(Object.keys(now), Object.keys(atBest));
  for (const n of Object.keys(now)) t.deepEqual(now[n], atBest[n], n);
  t.notDeepEqual(atLast['head.out.kernel'], atBest['head.out.kernel'], 'training went on after the best step');
  t.is(tf.memory().numTensors, tensorsBefore, 'copies disposed after the restore');
  t.deepEqual(es.getState()?.tensors, undefined);
  tr.dispose();
});

test('state survives a resume: patience already spent and the best parameters', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-es-'));
  try {
    // Run 1: best at step 2 (value 1), one evaluation without improvement at step 3; saved at step 3.
    let atBest: Record<string, Float32Array> = {};
    const recorder: GraftPlugin = {
      meta: { name: 'callback:record', kind: 'callback' },
      apply(tr: TrainerApi) {
        tr.tap('afterStep', this, (ctx) => {
          if (ctx.state.step === 2) atBest = snapshot(ctx.trainer);
        });
      },
    };
    const es1 = new EarlyStoppingCallback({ patience: 3, restoreBest: true });
    const ckpt = new PeriodicCheckpoint({ dir, every: 3, atEnd: false, best: false });
    const tr1 = createTrainer({ plugins: plugins([5, 1, 3, 2, 2, 2], everyStep(), es1, ckpt, recorder), options: { epochs: 5, maxSteps: 6 }, logger: silentLogger() });
    await tr1.fit();
    tr1.dispose();

    // Run 2 resumes at step 3 with wait 1: two more evaluations without improvement stop it at step 5.
    const es2 = new EarlyStoppingCallback({ patience: 3, restoreBest: true });
    const tr2 = createTrainer({ plugins: plugins([4, 4, 0.5], everyStep(), es2), options: { epochs: 5, maxSteps: 6 }, logger: silentLogger() });
    await tr2.resume(path.join(dir, 'step-3'));
    t.deepEqual(es2.progress, { best: 1, bestStep: 2, wait: 1 });
    const res = await tr2.fit();
    t.is(res.state.step, 5);
    t.regex(res.stopReason, /^early-stopping: validation_loss has not improved for 3 evaluations \(best 1 at step 2\)/);
    const now = snapshot(tr2);
    for (const n of Object.keys(atBest)) t.deepEqual(now[n], atBest[n], `${n} restored from the copy saved in the checkpoint`);
    tr2.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options name the option', (t) => {
  t.throws(() => new EarlyStoppingCallback({ patience: 0 }), { message: /callback:early-stopping.*option "patience".*>= 1/ });
  t.throws(() => new EarlyStoppingCallback({ mode: 'lower' as 'min' }), { message: /option "mode".*one of min, max/ });
  t.throws(() => new EarlyStoppingCallback({ minDelta: -0.1 }), { message: /option "minDelta".*>= 0/ });
  t.throws(() => new EarlyStoppingCallback({ monitor: 3 as unknown as string }), { message: /option "monitor".*a string/ });
  t.throws(() => new EarlyStoppingCallback({ restore_best: true } as object), { message: /option "restore_best".*unknown option/ });
});
