import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, intervalPerRun, plannedSteps, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import { evaluationDue } from '../../../plugins/callbacks/evaluate/evaluationDue.ts';
import { PeriodicCheckpoint } from '../../../plugins/checkpoints/index.ts';
import { toyPlugins } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** Records the step and split of every evaluation, and the trigger hook it came from. */
function evalProbe(): GraftPlugin & { evals: { step: number; split: string; loss: number }[] } {
  const evals: { step: number; split: string; loss: number }[] = [];
  return {
    meta: { name: 'callback:eval-probe', kind: 'callback' },
    evals,
    apply(t: TrainerApi) {
      t.tap('afterEval', this, (m, ctx) => {
        evals.push({ step: ctx.state.step, split: ctx.split, loss: m[`${ctx.split}_loss`]! });
        return m;
      }, { stage: 'observe' });
    },
  };
}

async function run(opts: ConstructorParameters<typeof EvaluateCallback>[0], trainer: { epochs?: number; maxSteps?: number; batches?: number }) {
  const probe = evalProbe();
  const cb = new EvaluateCallback(opts);
  const tr = createTrainer({
    plugins: [...toyPlugins({ batches: trainer.batches ?? 4 }), cb, probe],
    options: { epochs: trainer.epochs ?? 2, maxSteps: trainer.maxSteps ?? 0, seed: 3 },
    logger: silentLogger(),
  });
  const res = await tr.fit();
  return { tr, cb, probe, res };
}

test('evaluationDue: every N steps, epoch ends, run end, never twice at a step', (t) => {
  const s = { every: 3, atEpochEnd: true, atEnd: true };
  t.deepEqual([1, 2, 3, 4, 5, 6].map((k) => evaluationDue('step', k, -1, s)), [false, false, true, false, false, true]);
  t.false(evaluationDue('step', 0, -1, s), 'step 0 is not a multiple worth evaluating');
  t.false(evaluationDue('step', 6, 6, s));
  t.true(evaluationDue('epoch', 4, 3, s));
  t.false(evaluationDue('epoch', 3, 3, s));
  t.false(evaluationDue('end', 8, 8, s));
  t.true(evaluationDue('end', 8, 6, s));
  t.false(evaluationDue('step', 3, -1, { ...s, every: 0 }), 'every 0 is off');
  t.false(evaluationDue('epoch', 4, -1, { ...s, atEpochEnd: false }));
  t.false(evaluationDue('end', 4, -1, { ...s, atEnd: false }));
});

test('evaluates every 3 steps and at epoch ends, once per step, on validation', async (t) => {
  const { probe, cb, res, tr } = await run({ every: 3 }, { epochs: 2, batches: 4 });
  t.is(res.state.step, 8);
  // 3 (every), 4 (epoch end), 6 (every), 8 (epoch end; the run end is the same step).
  t.deepEqual(probe.evals.map((e) => e.step), [3, 4, 6, 8]);
  t.true(probe.evals.every((e) => e.split === 'validation'));
  t.is(cb.lastEvaluatedStep, 8);
  // The trainer keeps the latest metrics: those of the last evaluation.
  t.is(res.metrics.validation_loss, probe.evals[3]!.loss);
  tr.dispose();
});

test('an epoch end that is also a multiple of every is evaluated once', async (t) => {
  const { probe, tr } = await run({ every: 4 }, { epochs: 2, batches: 4 });
  t.deepEqual(probe.evals.map((e) => e.step), [4, 8]);
  tr.dispose();
});

test('atEpochEnd off: every N steps and at the end of a run stopped by maxSteps', async (t) => {
  const { probe, res, tr } = await run({ every: 2, atEpochEnd: false }, { epochs: 3, batches: 4, maxSteps: 5 });
  t.is(res.stopReason, 'max-steps');
  t.deepEqual(probe.evals.map((e) => e.step), [2, 4, 5]);
  tr.dispose();
});

test('only at the end, on the split asked for', async (t) => {
  const { probe, tr } = await run({ atEpochEnd: false, split: 'test' }, { epochs: 2, batches: 3 });
  t.deepEqual(probe.evals, [{ step: 6, split: 'test', loss: probe.evals[0]!.loss }]);
  t.true(Number.isFinite(probe.evals[0]!.loss));
  tr.dispose();
});

test('no evaluation at the end of a failed run', async (t) => {
  const failing: GraftPlugin = {
    meta: { name: 'callback:fail', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('afterStep', this, (ctx) => {
        if (ctx.state.step === 3) throw new Error('boom');
      });
    },
  };
  const probe = evalProbe();
  const tr = createTrainer({ plugins: [...toyPlugins(), new EvaluateCallback({ every: 2 }), failing, probe], options: { epochs: 2 }, logger: silentLogger() });
  await t.throwsAsync(() => tr.fit(), { message: 'boom' });
  t.deepEqual(probe.evals.map((e) => e.step), [2]);
  tr.dispose();
});

test('last evaluated step is state: a restored plugin does not evaluate that step again', async (t) => {
  const first = new EvaluateCallback({ every: 2 });
  first.setState({ json: { lastEvalStep: 4 } });
  t.deepEqual(first.getState(), { json: { lastEvalStep: 4 } });
  // A run whose end is step 4, already evaluated: nothing happens at the end.
  const probe = evalProbe();
  const cb = new EvaluateCallback({ atEpochEnd: false });
  cb.setState(first.getState());
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), cb, probe], options: { epochs: 1 }, logger: silentLogger() });
  await tr.fit();
  t.deepEqual(probe.evals, []);
  tr.dispose();
});

test('bad options name the option', (t) => {
  t.throws(() => new EvaluateCallback({ every: -1 }), { message: /callback:evaluate.*option "every".*>= 0/ });
  t.throws(() => new EvaluateCallback({ every: 1.5 }), { message: /option "every".*integer/ });
  t.throws(() => new EvaluateCallback({ split: 'dev' as 'test' }), { message: /option "split".*one of train, validation, test/ });
  t.throws(() => new EvaluateCallback({ evry: 3 } as object), { message: /option "evry".*unknown option/ });
  t.throws(() => new EvaluateCallback({ atEnd: 'yes' as unknown as boolean }), { message: /option "atEnd".*true or false/ });
});

test('intervalPerRun: max(1, round(planned / perRun)); every when perRun is 0 or the length unknown', (t) => {
  // The ULMFiT LM stages before perRun: every = max(1, round(steps / 3)) and round(steps / 10).
  for (const steps of [1, 4, 20, 200, 1000, 301]) {
    t.is(intervalPerRun(0, 3, steps), Math.max(1, Math.round(steps / 3)), `${steps}/3`);
    t.is(intervalPerRun(500, 10, steps), Math.max(1, Math.round(steps / 10)), `${steps}/10`);
  }
  t.is(intervalPerRun(7, 0, 100), 7);
  t.is(intervalPerRun(7, 3, undefined), 7);
  // planned = min(maxSteps, epochs × batches): 100 epochs of 4 batches cap a 1,000-step limit at 400.
  t.is(intervalPerRun(0, 3, plannedSteps(1000, 100, 4)), 133);
  t.is(intervalPerRun(0, 3, plannedSteps(0, 2, 4)), 3);
});

test('perRun 3 over a 20-step run: every 7 steps (round(20 / 3)), then at the end', async (t) => {
  const { probe, cb, tr } = await run({ perRun: 3, every: 5, atEpochEnd: false }, { epochs: 100, batches: 4, maxSteps: 20 });
  t.is(cb.interval, 7);
  t.deepEqual(probe.evals.map((e) => e.step), [7, 14, 20]);
  tr.dispose();
});

test('perRun sees the epochs the trainer raised for minSteps', async (t) => {
  const probe = evalProbe();
  const cb = new EvaluateCallback({ perRun: 2, atEpochEnd: false, atEnd: false });
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), cb, probe], options: { epochs: 1, minSteps: 10, seed: 3 }, logger: silentLogger() });
  const res = await tr.fit();
  // 10 steps need 3 epochs of 4 batches: 12 steps planned, every 6.
  t.is(res.state.step, 12);
  t.deepEqual(probe.evals.map((e) => e.step), [6, 12]);
  tr.dispose();
});

test('perRun interval, hand-computed for (maxSteps, epochs, batches, perRun)', (t) => {
  // [maxSteps, epochs, batches per epoch, perRun, every]: planned = min(maxSteps, epochs × batches)
  // (maxSteps 0: epochs × batches); every = max(1, round(planned / perRun)).
  const cases: [number, number, number, number, number][] = [
    [200, 100, 50, 3, 67], // ULMFiT stage 1 evaluations: 200 / 3 = 66.7
    [200, 100, 50, 10, 20], // ULMFiT stage 1 checkpoints
    [1000, 100, 50, 3, 333], // ULMFiT stage 2: 1000 / 3 = 333.3
    [1000, 100, 50, 10, 100],
    [1000, 100, 4, 3, 133], // the epochs bind: 400 planned, 133.3
    [20, 100, 4, 3, 7], // 6.67
    [30, 100, 4, 10, 3],
    [0, 2, 4, 3, 3], // no step limit: 8 planned, 2.67
    [0, 5, 7, 2, 18], // 35 / 2 = 17.5 rounds up
    [5, 100, 4, 10, 1], // 0.5 rounds to 1
    [2, 100, 4, 10, 1], // 0.2 rounds to 0: at least 1
  ];
  for (const [maxSteps, epochs, batches, perRun, every] of cases) {
    t.is(intervalPerRun(500, perRun, plannedSteps(maxSteps, epochs, batches)), every, `${maxSteps}, ${epochs}, ${batches}, ${perRun}`);
  }
  // perRun 0, or a run of unknown length (no step limit, no batch count): `every` as given.
  t.is(intervalPerRun(500, 0, plannedSteps(200, 100, 50)), 500);
  t.is(intervalPerRun(500, 3, plannedSteps(0, 100, 0)), 500);
});

test('perRun over a run the epochs end: 2 epochs of 5 batches, perRun 4 -> every 3 (round(10 / 4) = round(2.5))', async (t) => {
  const { probe, cb, tr } = await run({ perRun: 4, atEpochEnd: false }, { epochs: 2, batches: 5 });
  t.is(cb.interval, 3);
  t.deepEqual(probe.evals.map((e) => e.step), [3, 6, 9, 10]);
  tr.dispose();
});

test('perRun holds on a resumed run: the interval is computed again at its beforeRun', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-eval-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const make = () => {
    const probe = evalProbe();
    const cb = new EvaluateCallback({ perRun: 3, atEpochEnd: false });
    const tr = createTrainer({
      plugins: [...toyPlugins({ batches: 4 }), cb, probe, new PeriodicCheckpoint({ dir, every: 10, keep: 0, best: false, atEnd: false })],
      options: { epochs: 100, maxSteps: 20, seed: 3 },
      logger: silentLogger(),
    });
    return { probe, cb, tr };
  };
  const first = make();
  await first.tr.fit();
  t.deepEqual(first.probe.evals.map((e) => e.step), [7, 14, 20]);
  first.tr.dispose();
  // A fresh plugin (interval still `every` = 0 before the run) resumed from step 10.
  const again = make();
  t.is(again.cb.interval, 0);
  await again.tr.resume(path.join(dir, 'step-10'));
  await again.tr.fit();
  t.is(again.cb.interval, 7);
  t.deepEqual(again.probe.evals.map((e) => e.step), [14, 20]);
  // the same losses as the straight run at those steps
  t.deepEqual(again.probe.evals.map((e) => e.loss), first.probe.evals.slice(1).map((e) => e.loss));
  again.tr.dispose();
});
