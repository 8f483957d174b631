import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreResources, createTrainer, readCheckpoint, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { EarlyStoppingCallback } from '../../../plugins/callbacks/early-stopping/EarlyStoppingCallback.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import {
  checkpointsToPrune,
  latestCheckpoint,
  parseStepDir,
  PeriodicCheckpoint,
  readLatest,
  stepDirName,
  writeLatest,
} from '../../../plugins/checkpoints/index.ts';
import { toyPlugins } from '../../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-ckpt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function evalProbe(): GraftPlugin & { evals: { step: number; loss: number }[] } {
  const evals: { step: number; loss: number }[] = [];
  return {
    meta: { name: 'callback:eval-probe', kind: 'callback' },
    evals,
    apply(t: TrainerApi) {
      t.tap('afterEval', this, (m, ctx) => (evals.push({ step: ctx.state.step, loss: m.validation_loss! }), m), { stage: 'observe' });
    },
  };
}

test('step folder names', (t) => {
  t.is(stepDirName(12), 'step-12');
  t.is(parseStepDir('step-12'), 12);
  t.is(parseStepDir('step-0'), 0);
  for (const bad of ['step-', 'step-1a', 'best', 'step-3.tmp-1-x', 'xstep-3', 'step--1']) t.is(parseStepDir(bad), undefined, bad);
});

test('checkpointsToPrune keeps the newest K up to the current step and cleans leftovers', (t) => {
  const entries = ['step-1', 'step-2', 'step-3', 'step-3.tmp-1-a', 'step-1.old-2-b', 'step-2.old-9-z', 'step-10', 'best', 'latest.json', 'step-12', 'notes.txt', 'step-x', 'step-10.old-4-c'];
  t.deepEqual(checkpointsToPrune(entries, 2, 10), ['step-1', 'step-1.old-2-b', 'step-2', 'step-2.old-9-z', 'step-3.tmp-1-a']);
  t.deepEqual(checkpointsToPrune(entries, 0, 10), ['step-3.tmp-1-a'], 'keep 0 keeps every checkpoint');
  t.deepEqual(checkpointsToPrune(entries, 1, 3), ['step-1', 'step-1.old-2-b', 'step-2', 'step-2.old-9-z', 'step-3.tmp-1-a'], 'later steps are left alone');
  t.deepEqual(checkpointsToPrune(['step-5'], 2, 5), []);
  t.deepEqual(checkpointsToPrune([], 2, 5), []);
});

test('latest pointer: written by rename, read back, malformed is an error naming the file', async (t) => {
  const dir = tempDir(t);
  t.is(readLatest(dir), undefined);
  t.is(latestCheckpoint(dir), undefined);
  await writeLatest(dir, { dir: 'step-3', step: 3 });
  await writeLatest(dir, { dir: 'step-6', step: 6 });
  t.deepEqual(readLatest(dir), { dir: 'step-6', step: 6 });
  t.is(latestCheckpoint(dir), path.join(dir, 'step-6'));
  t.deepEqual(readdirSync(dir), ['latest.json'], 'no temporary file left behind');
  writeFileSync(path.join(dir, 'latest.json'), '{"dir": 3}');
  t.throws(() => readLatest(dir), { message: /latest\.json: malformed pointer/ });
  writeFileSync(path.join(dir, 'latest.json'), '{"dir": "step-');
  t.throws(() => readLatest(dir), { message: /latest\.json: pointer is not valid JSON/ });
});

test('saves every N steps and at the end, keeps the last K, the best and a latest pointer', async (t) => {
  const dir = tempDir(t);
  const probe = evalProbe();
  const ckpt = new PeriodicCheckpoint({ dir, every: 3, keep: 2 });
  const tr = createTrainer({
    plugins: [...toyPlugins({ batches: 4 }), new EvaluateCallback({ every: 2 }), ckpt, probe],
    options: { epochs: 2, seed: 5 },
    logger: silentLogger(),
  });
  await tr.fit();
  // Saved at 3, 6 and 8 (the end); step-3 pruned.
  t.deepEqual(readdirSync(dir).sort(), ['best', 'latest.json', 'step-6', 'step-8']);
  t.deepEqual(readLatest(dir), { dir: 'step-8', step: 8 });
  t.is(readCheckpoint(path.join(dir, 'step-6')).manifest.state.step, 6);
  const last = readCheckpoint(latestCheckpoint(dir)!);
  t.is(last.manifest.state.step, 8);
  t.deepEqual(last.manifest.plugins['checkpoint:periodic']!.state, ckpt.getState()!.json);
  // The final parameters are in the last checkpoint.
  for (const name of tr.params.names()) t.deepEqual(last.params[name]!.data, tr.params.get(name).dataSync(), name);

  // best: the evaluation with the lowest validation loss.
  t.deepEqual(probe.evals.map((e) => e.step), [2, 4, 6, 8]);
  const best = probe.evals.reduce((a, b) => (b.loss < a.loss ? b : a));
  t.deepEqual(ckpt.progress, { lastSavedStep: 8, bestValue: best.loss, bestStep: best.step });
  t.is(readCheckpoint(path.join(dir, 'best')).manifest.state.step, best.step);
  const fresh = createTrainer({ plugins: toyPlugins({ batches: 4 }), options: { epochs: 2, seed: 99 }, logger: silentLogger() });
  await fresh.load(path.join(dir, 'best'));
  t.is((await fresh.evaluate()).validation_loss, best.loss, 'the best checkpoint holds the parameters that scored best');
  fresh.dispose();
  tr.dispose();
});

test('mode max with a monitored metric from an evaluation keeps the highest', async (t) => {
  const dir = tempDir(t);
  const probe = evalProbe();
  const ckpt = new PeriodicCheckpoint({ dir, every: 0, monitor: 'validation_loss', mode: 'max', atEnd: false });
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), new EvaluateCallback({ every: 1 }), ckpt, probe], options: { epochs: 1 }, logger: silentLogger() });
  await tr.fit();
  const worst = probe.evals.reduce((a, b) => (b.loss > a.loss ? b : a));
  t.is(ckpt.progress.bestStep, worst.step);
  t.deepEqual(readdirSync(dir), ['best'], 'every 0 and atEnd false: no step checkpoints');
  tr.dispose();
});

test('defaults to <run folder>/checkpoints', async (t) => {
  const runDir = tempDir(t);
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 2 }), new PeriodicCheckpoint({ every: 1, best: false })], options: { epochs: 1 }, logger: silentLogger() });
  tr.resources.set(CoreResources.runDir, runDir);
  await tr.fit();
  t.deepEqual(readdirSync(path.join(runDir, 'checkpoints')).sort(), ['latest.json', 'step-1', 'step-2']);
  tr.dispose();
});

test('without a dir or a run folder the run fails before training, naming the option', async (t) => {
  const tr = createTrainer({ plugins: [...toyPlugins(), new PeriodicCheckpoint({ every: 1 })], options: { epochs: 1 }, logger: silentLogger() });
  await t.throwsAsync(() => tr.fit(), { message: /plugin "checkpoint:periodic", option "dir": has no folder to save to/ });
  t.is(tr.state.step, 0);
  tr.dispose();
});

test('no checkpoint at the end of a failed run; the periodic ones remain', async (t) => {
  const dir = tempDir(t);
  const failing: GraftPlugin = {
    meta: { name: 'callback:fail', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('afterStep', this, (ctx) => {
        if (ctx.state.step === 3) throw new Error('boom');
      });
    },
  };
  const tr = createTrainer({ plugins: [...toyPlugins(), new PeriodicCheckpoint({ dir, every: 2, best: false }), failing], options: { epochs: 2 }, logger: silentLogger() });
  await t.throwsAsync(() => tr.fit(), { message: 'boom' });
  t.deepEqual(readdirSync(dir).sort(), ['latest.json', 'step-2']);
  tr.dispose();
});

test('tap order: the checkpoint runs after evaluation, early stopping restores before both', (t) => {
  for (const order of ['ckpt-first', 'ckpt-last'] as const) {
    const ev = new EvaluateCallback();
    const es = new EarlyStoppingCallback({ restoreBest: true });
    const ck = new PeriodicCheckpoint({ dir: 'unused' });
    const plugins = order === 'ckpt-first' ? [ck, es, ev] : [ev, es, ck];
    const tr = createTrainer({ plugins: [...toyPlugins(), ...plugins], logger: silentLogger() });
    const taps = (hook: string) => tr.describe().find((d) => d.hook === hook)!.taps.map((x) => x.name);
    const afterStep = taps('afterStep');
    t.true(afterStep.indexOf('callback:evaluate') < afterStep.indexOf('checkpoint:periodic'), `${order}: ${afterStep}`);
    const afterRun = taps('afterRun');
    t.deepEqual(
      afterRun.filter((n) => n !== 'callback:eval-probe'),
      ['callback:early-stopping', 'callback:evaluate', 'checkpoint:periodic'],
      `${order}: ${afterRun}`,
    );
    tr.dispose();
  }
});

test('bad options name the option', (t) => {
  t.throws(() => new PeriodicCheckpoint({ every: -3 }), { message: /checkpoint:periodic.*option "every".*>= 0/ });
  t.throws(() => new PeriodicCheckpoint({ keep: 1.5 }), { message: /option "keep".*integer/ });
  t.throws(() => new PeriodicCheckpoint({ mode: 'up' as 'min' }), { message: /option "mode".*one of min, max/ });
  t.throws(() => new PeriodicCheckpoint({ dir: 7 as unknown as string }), { message: /option "dir".*a string/ });
  t.throws(() => new PeriodicCheckpoint({ keepLast: 3 } as object), { message: /option "keepLast".*unknown option/ });
});

test('a fresh run in a folder with a best from an earlier attempt replaces it only by a better model', async (t) => {
  const dir = tempDir(t);
  const run = async (seed: number, epochs: number) => {
    const probe = evalProbe();
    const ckpt = new PeriodicCheckpoint({ dir, every: 0 });
    const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), new EvaluateCallback({ every: 1 }), ckpt, probe], options: { epochs, seed }, logger: silentLogger() });
    await tr.fit();
    tr.dispose();
    return { evals: probe.evals.map((e) => e.loss), progress: ckpt.progress };
  };
  // A long first attempt reaches a low loss; a short second one from step 0 never gets there.
  const first = await run(5, 3);
  const bestFirst = Math.min(...first.evals);
  const second = await run(6, 1);
  t.true(Math.min(...second.evals) > bestFirst, 'the second attempt is worse throughout');
  t.is(second.progress.bestValue, bestFirst, 'the best value came from the folder');
  const best = readCheckpoint(path.join(dir, 'best')).manifest;
  t.is(best.plugins['checkpoint:periodic']!.options!.monitor, 'validation_loss');
  t.is((best.plugins['checkpoint:periodic']!.state as { bestValue: number }).bestValue, bestFirst, 'best was not overwritten by a worse model');
  // A better one replaces it.
  const third = await run(5, 4);
  t.is(third.progress.bestValue, Math.min(bestFirst, ...third.evals));
  t.is((readCheckpoint(path.join(dir, 'best')).manifest.plugins['checkpoint:periodic']!.state as { bestValue: number }).bestValue, third.progress.bestValue!);
});

test('perRun 10 over a 30-step run saves every 3 steps (round(30 / 10)); a resumed run keeps the interval', async (t) => {
  const dir = tempDir(t);
  const ckpt = new PeriodicCheckpoint({ dir, perRun: 10, keep: 0, best: false });
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), ckpt], options: { epochs: 100, maxSteps: 30, seed: 5 }, logger: silentLogger() });
  await tr.fit();
  const steps = readdirSync(dir).filter((d) => d.startsWith('step-')).map((d) => parseStepDir(d)!).sort((a, b) => a - b);
  t.deepEqual(steps, [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
  tr.dispose();
  // Resumed from step 12 with a fresh plugin: the interval comes from the restored run's limits again.
  const dir2 = tempDir(t);
  const again = new PeriodicCheckpoint({ dir: dir2, perRun: 10, keep: 0, best: false });
  const tr2 = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), again], options: { epochs: 100, maxSteps: 30, seed: 5 }, logger: silentLogger() });
  await tr2.resume(path.join(dir, 'step-12'));
  await tr2.fit();
  const steps2 = readdirSync(dir2).filter((d) => d.startsWith('step-')).map((d) => parseStepDir(d)!).sort((a, b) => a - b);
  t.deepEqual(steps2, [15, 18, 21, 24, 27, 30]);
  tr2.dispose();
});

test('perRun over a run the epochs end: 2 epochs of 4 batches, perRun 3 -> every 3 (round(8 / 3)), then the end', async (t) => {
  const dir = tempDir(t);
  const ckpt = new PeriodicCheckpoint({ dir, perRun: 3, every: 5, keep: 0, best: false });
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), ckpt], options: { epochs: 2, seed: 5 }, logger: silentLogger() });
  await tr.fit();
  const steps = readdirSync(dir).filter((d) => d.startsWith('step-')).map((d) => parseStepDir(d)!).sort((a, b) => a - b);
  // every 3 (not the option's 5): 3 and 6, then 8 at the end (atEnd)
  t.deepEqual(steps, [3, 6, 8]);
  tr.dispose();
});
