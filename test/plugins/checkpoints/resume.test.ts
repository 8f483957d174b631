import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { EarlyStoppingCallback } from '../../../plugins/callbacks/early-stopping/EarlyStoppingCallback.ts';
import { EvaluateCallback } from '../../../plugins/callbacks/evaluate/EvaluateCallback.ts';
import { PeriodicCheckpoint } from '../../../plugins/checkpoints/index.ts';
import { ConsoleProgressLogger, JsonlMetricsLogger } from '../../../plugins/loggers/index.ts';
import { ToyDataset, ToyModel, ToyObjective } from '../../helpers/toy.ts';
import { MomentumSgd } from './momentumSgd.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-resume-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A recipe with every plugin of this folder set, fresh instances each call. */
function recipe(dir: string, extra: GraftPlugin[] = []) {
  const opt = new MomentumSgd();
  const es = new EarlyStoppingCallback({ patience: 100 });
  const ev = new EvaluateCallback({ every: 2 });
  const plugins: GraftPlugin[] = [
    new ToyModel(),
    new ToyObjective(),
    opt,
    new ToyDataset({ batches: 4 }),
    ev,
    es,
    new PeriodicCheckpoint({ dir: path.join(dir, 'ckpt'), every: 3, keep: 0 }),
    new JsonlMetricsLogger({ file: path.join(dir, 'metrics.jsonl'), every: 1 }),
    new ConsoleProgressLogger({ mode: 'lines', every: 1 }),
    ...extra,
  ];
  return { plugins, opt, es, ev };
}

function params(tr: TrainerApi): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const n of tr.params.names()) out[n] = tr.params.get(n).dataSync() as Float32Array;
  return out;
}

async function straightRun(dir: string) {
  const r = recipe(dir);
  const tr = createTrainer({ plugins: r.plugins, options: { epochs: 3, maxSteps: 6, seed: 11 }, logger: silentLogger() });
  const res = await tr.fit();
  const out = { params: params(tr), velocity: r.opt.velocities(), es: r.es.progress, lastEval: r.ev.lastEvaluatedStep, state: { ...res.state }, metrics: res.metrics };
  tr.dispose();
  return out;
}

async function resumedRun(dir: string, from: string) {
  const r = recipe(dir);
  const tr = createTrainer({ plugins: r.plugins, options: { epochs: 3, maxSteps: 6, seed: 11 }, logger: silentLogger() });
  await tr.resume(from);
  const resumedAt = tr.state.step;
  const res = await tr.fit();
  const out = { resumedAt, params: params(tr), velocity: r.opt.velocities(), es: r.es.progress, lastEval: r.ev.lastEvaluatedStep, state: { ...res.state }, metrics: res.metrics };
  tr.dispose();
  return out;
}

test('6 steps straight = 3 steps, checkpoint, fresh trainer, resume, 3 more (bit-identical)', async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const straight = await straightRun(a);
  t.is(straight.state.step, 6);
  t.is(straight.state.epoch, 1, 'the run crossed an epoch boundary');
  // The straight run's own checkpoint at step 3 (taken by the periodic plugin mid-run).
  const resumed = await resumedRun(b, path.join(a, 'ckpt', 'step-3'));
  t.is(resumed.resumedAt, 3);
  t.deepEqual(Object.keys(resumed.params), Object.keys(straight.params));
  for (const n of Object.keys(straight.params)) t.deepEqual(resumed.params[n], straight.params[n], `${n} bit-identical`);
  t.deepEqual(resumed.velocity, straight.velocity, 'optimizer state continued');
  t.deepEqual(resumed.es, straight.es, 'early stopping continued');
  t.is(resumed.lastEval, straight.lastEval);
  t.deepEqual(resumed.metrics, straight.metrics);
  t.is(resumed.state.epoch, straight.state.epoch);
  t.is(resumed.state.batchInEpoch, straight.state.batchInEpoch);
  t.is(resumed.state.tokens, straight.state.tokens);
  // The resumed run's metrics file starts after the checkpoint.
  const steps = readFileSync(path.join(b, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'train').map((l) => l.step);
  t.deepEqual(steps, [4, 5, 6]);
});

test('a run stopped after 3 steps and saved with trainer.save resumes to the same parameters', async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const straight = await straightRun(a);

  const stopAt3: GraftPlugin = {
    meta: { name: 'callback:stop-at-3', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('shouldStop', this, (ctx) => (ctx.state.step === 3 ? 'stop at 3' : undefined));
    },
  };
  const first = recipe(b, [stopAt3]);
  const tr = createTrainer({ plugins: first.plugins, options: { epochs: 3, maxSteps: 6, seed: 11 }, logger: silentLogger() });
  const res = await tr.fit();
  t.is(res.stopReason, 'stop at 3');
  const saved = path.join(b, 'manual');
  await tr.save(saved);
  tr.dispose();

  const resumed = await resumedRun(tempDir(t), saved);
  t.is(resumed.resumedAt, 3);
  for (const n of Object.keys(straight.params)) t.deepEqual(resumed.params[n], straight.params[n], `${n} bit-identical`);
  t.deepEqual(resumed.velocity, straight.velocity);
  t.deepEqual(resumed.es, straight.es);
});

test('resumed from the checkpoint of its last step (6 of 6, mid-epoch), the run trains no step and still ends its epoch: the epoch-end evaluation', async (t) => {
  const run = async (dir: string, from?: string) => {
    // As the ULMFiT classifier: at epoch ends, not at the end of the run.
    const ev = new EvaluateCallback({ every: 4, atEnd: false });
    const plugins = [new ToyModel(), new ToyObjective(), new MomentumSgd(), new ToyDataset({ batches: 4 }), ev, new PeriodicCheckpoint({ dir: path.join(dir, 'ckpt'), every: 3, keep: 0 })];
    const tr = createTrainer({ plugins, options: { epochs: 3, maxSteps: 6, seed: 11 }, logger: silentLogger() });
    if (from) await tr.resume(from);
    const steps: number[] = [];
    tr.tap('afterStep', 'test:probe', (ctx) => void steps.push(ctx.state.step));
    const res = await tr.fit();
    const out = { steps, params: params(tr), lastEval: ev.lastEvaluatedStep, state: { ...res.state }, metrics: res.metrics };
    tr.dispose();
    return out;
  };
  const a = tempDir(t);
  const straight = await run(a);
  // Step 6 is the 2nd batch of epoch 1: no evaluation on the step (every 4), one at the end of the (cut) epoch.
  t.is(straight.lastEval, 6);
  // step-6 was saved at the end of step 6, before the epoch and the run ended.
  const resumed = await run(tempDir(t), path.join(a, 'ckpt', 'step-6'));
  t.deepEqual(resumed.steps, [], 'no seventh step');
  t.is(resumed.state.stopReason, 'max-steps');
  t.is(resumed.lastEval, 6, 'the epoch-end evaluation ran');
  for (const n of Object.keys(straight.params)) t.deepEqual(resumed.params[n], straight.params[n], n);
  t.deepEqual(resumed.metrics, straight.metrics);
  t.deepEqual(resumed.state, straight.state);
});

// Serial: tensor counts are process-wide.
test.serial('tensor count stays flat across steps with every plugin active, no synchronous read but the NaN watch\'s, all freed on dispose', async (t) => {
  const dir = tempDir(t);
  const counts: number[] = [];
  const counter: GraftPlugin = {
    meta: { name: 'callback:count', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('beforeStep', this, () => void counts.push(tf.memory().numTensors));
    },
  };
  const start = tf.memory().numTensors;
  const stream = { isTTY: true, columns: 120, write: () => true };
  const tr = createTrainer({
    plugins: [
      new ToyModel(),
      new ToyObjective(),
      new MomentumSgd(),
      new ToyDataset({ batches: 4 }),
      new EvaluateCallback({ every: 2 }),
      new EarlyStoppingCallback({ patience: 100, restoreBest: true }),
      new PeriodicCheckpoint({ dir: path.join(dir, 'ckpt'), every: 2, keep: 2 }),
      new JsonlMetricsLogger({ file: path.join(dir, 'm.jsonl'), every: 1, flushEvery: 3 }),
      new ConsoleProgressLogger({ mode: 'bar', everyMs: 0 }, { stream }),
      counter,
    ],
    options: { epochs: 3, seed: 4 },
    logger: silentLogger(),
  });
  // No plugin here reads a tensor synchronously (loggers await their reads on the steps they log);
  // the trainer's NaN watch reads the scalar loss once a step on a host backend (cpu here).
  const proto = tf.Tensor.prototype as unknown as { dataSync: (...a: unknown[]) => unknown };
  const { dataSync } = proto;
  let syncReads = 0;
  proto.dataSync = function (this: unknown, ...a: unknown[]) {
    syncReads++;
    return dataSync.apply(this, a);
  };
  try {
    await tr.fit();
  } finally {
    proto.dataSync = dataSync;
  }
  t.is(syncReads, 12);
  t.is(counts.length, 12);
  // From step 3 on, the optimizer's velocities and early stopping's best copy exist: nothing more may pile up.
  t.deepEqual(counts.slice(2), new Array(10).fill(counts[2]), `numTensors before each step: ${counts}`);
  tr.dispose();
  t.is(tf.memory().numTensors, start);
});
