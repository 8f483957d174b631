import test, { type ExecutionContext } from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ErrorCodes, GraftError, createTrainer, readCheckpoint, silentLogger, type GraftPlugin, type TrainerApi } from '../../../core/index.ts';
import { ToyDataset, ToyModel, ToyObjective, ToySgd } from '../../helpers/toy.ts';
import { MomentumSgd } from '../../plugins/checkpoints/momentumSgd.ts';
import { FiniteWatch } from '../../../core/trainer/FiniteWatch.ts';

// Serial throughout: some tests replace Tensor.prototype methods or count tf.memory(), both process-wide.

test.before(async () => {
  await tf.setBackend('cpu');
});

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-finite-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Records every step's loss (reading it: for the tests' own bookkeeping only). */
function lossRecorder(): GraftPlugin & { losses: { step: number; loss: number }[] } {
  const losses: { step: number; loss: number }[] = [];
  return {
    meta: { name: 'callback:loss-recorder', kind: 'callback' },
    losses,
    apply(t: TrainerApi) {
      t.tap('afterStep', this, async (ctx) => void losses.push({ step: ctx.state.step, loss: (await ctx.loss!.data())[0]! }), { stage: 'observe' });
    },
  };
}

/** The toy recipe with a learning rate that diverges within a few steps. */
function diverging(options: Record<string, unknown> = {}, extra: GraftPlugin[] = []) {
  const rec = lossRecorder();
  const tr = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new ToySgd(1e3), new ToyDataset({ batches: 4 }), rec, ...extra],
    options: { seed: 1, epochs: 100, maxSteps: 30, ...options },
    logger: silentLogger(),
  });
  return { tr, losses: rec.losses };
}

const fmt = (x: number) => (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-4 ? x.toExponential(5) : String(Number(x.toPrecision(6))));

test.serial('a diverging 30-step run fails with GRAFT_ERR_NON_FINITE naming the first non-finite step and the last finite loss, between checks too', async (t) => {
  // checkFiniteEvery 50 > maxSteps: only the end-of-run check sees it (the run used to exit 0).
  const { tr, losses } = diverging({ checkFiniteEvery: 50 });
  const e = await t.throwsAsync(() => tr.fit(), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.NON_FINITE);
  t.false(e!.isUsageError, 'the CLI exits 1');
  const first = losses.findIndex((l) => !Number.isFinite(l.loss));
  t.true(first > 0, `the toy run diverges after a finite start: ${losses.map((l) => l.loss)}`);
  const bad = losses[first]!;
  const last = losses[first - 1]!;
  t.regex(e!.message, new RegExp(`the training loss became ${bad.loss} at step ${bad.step} \\(the last finite loss was ${fmt(last.loss).replace(/[.+]/g, '\\$&')}, at step ${last.step}\\)`));
  t.regex(e!.message, /learning rate too high.*gradient clipping.*bad data/);
  t.is(tr.state.stopReason, 'error');
  t.is(losses.length, 30, 'the run went on to its end (no check in between), and failed there');
  tr.dispose();
});

test.serial('with checkFiniteEvery the run stops at the first check after the loss went non-finite', async (t) => {
  const { tr, losses } = diverging({ checkFiniteEvery: 5, maxSteps: 100 });
  const e = await t.throwsAsync(() => tr.fit(), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.NON_FINITE);
  const first = losses.find((l) => !Number.isFinite(l.loss))!;
  t.regex(e!.message, new RegExp(`at step ${first.step} `));
  t.is(tr.state.step, Math.ceil(first.step / 5) * 5, 'stopped at the next check');
  tr.dispose();
});

test.serial('after divergence save refuses (nothing written), evaluate refuses; a full load of a good checkpoint clears it', async (t) => {
  const root = tempDir(t);
  const good = path.join(root, 'good');
  const first = diverging({ maxSteps: 1 });
  await first.tr.fit();
  await first.tr.save(good);
  first.tr.dispose();
  const { tr } = diverging({ checkFiniteEvery: 0 });
  await t.throwsAsync(() => tr.fit(), { instanceOf: GraftError, message: /the training loss became/ });
  const dir = path.join(root, 'ck');
  const s = await t.throwsAsync(() => tr.save(dir), { instanceOf: GraftError });
  t.is(s!.code, ErrorCodes.NON_FINITE);
  t.regex(s!.message, /the training loss became NaN at step \d+ .*; refusing to save .*ck \(nothing was written\)/);
  t.deepEqual(readdirSync(root), ['good'], 'nothing written, no temporary folder either');
  const ev = await t.throwsAsync(() => tr.evaluate(), { instanceOf: GraftError });
  t.is(ev!.code, ErrorCodes.NON_FINITE);
  t.regex(ev!.message, /refusing to evaluate the validation split/);
  await tr.load(good);
  await t.notThrowsAsync(() => tr.save(dir));
  t.is(readCheckpoint(dir).manifest.state.step, 1);
  tr.dispose();
});

test.serial('save refuses a non-finite parameter or optimizer state tensor the loss never showed, naming it; nothing written', async (t) => {
  const root = tempDir(t);
  const tr = createTrainer({
    plugins: [new ToyModel(), new ToyObjective(), new MomentumSgd(), new ToyDataset({ batches: 4 })],
    options: { seed: 1, epochs: 1, maxSteps: 1 },
    logger: silentLogger(),
  });
  await tr.fit();
  const param = tr.params.get('backbone.proj.bias');
  const kept = tf.clone(param);
  param.assign(tf.fill(param.shape, Infinity));
  const e = await t.throwsAsync(() => tr.save(path.join(root, 'a')), { instanceOf: GraftError });
  t.is(e!.code, ErrorCodes.NON_FINITE);
  t.regex(e!.message, /refusing to save: parameter "backbone\.proj\.bias" holds Infinity at index 0 \(8 of 8 values non-finite\); nothing was written; the loss was finite up to step 1/);
  t.false(existsSync(path.join(root, 'a')));
  param.assign(kept);
  kept.dispose();
  const velocity = tr.plugin('optimizer:test-momentum')!.getState!()!.tensors!['head.out.kernel'] as tf.Variable;
  tf.tidy(() => velocity.assign(tf.fill(velocity.shape, NaN)));
  const s = await t.throwsAsync(() => tr.save(path.join(root, 'b')), { instanceOf: GraftError });
  t.is(s!.code, ErrorCodes.NON_FINITE);
  t.regex(s!.message, /state tensor "optimizer:test-momentum\/head\.out\.kernel" holds NaN/);
  t.false(existsSync(path.join(root, 'b')));
  tr.dispose();
});

test.serial('the finite flag on a host backend (cpu): tensor count flat across steps; one read of the scalar loss a step, nothing read at checks', async (t) => {
  const proto = tf.Tensor.prototype as unknown as Record<'data' | 'dataSync' | 'arraySync' | 'array', (...a: unknown[]) => unknown>;
  const saved = { data: proto.data, dataSync: proto.dataSync, arraySync: proto.arraySync, array: proto.array };
  const calls: Record<string, number[]> = { data: [], dataSync: [], arraySync: [], array: [] };
  let current: TrainerApi | undefined;
  for (const k of Object.keys(saved) as (keyof typeof saved)[]) {
    proto[k] = function (this: unknown, ...a: unknown[]) {
      calls[k]!.push(current?.state.step ?? -1);
      return saved[k].apply(this, a);
    };
  }
  const counts: number[] = [];
  const probe: GraftPlugin = {
    meta: { name: 'callback:probe', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('beforeStep', this, () => void counts.push(tf.memory().numTensors));
    },
  };
  const start = tf.memory().numTensors;
  try {
    for (const every of [4, 0]) {
      for (const k of Object.keys(calls)) calls[k] = [];
      counts.length = 0;
      const tr = createTrainer({
        plugins: [new ToyModel(), new ToyObjective(), new ToySgd(0.1), new ToyDataset({ batches: 4 }), probe],
        options: { seed: 2, epochs: 3, checkFiniteEvery: every },
        logger: silentLogger(),
      });
      current = tr;
      await tr.fit();
      current = undefined;
      t.is(counts.length, 12);
      t.deepEqual(counts, new Array(12).fill(counts[0]), `numTensors before each step (every ${every}): ${counts}`);
      // The loss is read once a step (a 4-byte copy on wasm and cpu: no kernel runs for the flag),
      // before the step counter moves on; checks read the record in JavaScript, not a tensor.
      t.deepEqual(calls.dataSync, Array.from({ length: 12 }, (_, i) => i + 1), 'one synchronous read of the loss per step');
      t.deepEqual(calls.data, []);
      t.deepEqual(calls.arraySync, []);
      t.deepEqual(calls.array, []);
      tr.dispose();
    }
  } finally {
    Object.assign(proto, saved);
  }
  t.is(tf.memory().numTensors, start, 'all freed on dispose');
});

test.serial('the finite flag, device form (webgl, tfjs-node): the same record as the host form, nothing read in update, tensors flat', async (t) => {
  const losses = [2.5, 1.25, Number.NaN, 0.5, Number.POSITIVE_INFINITY];
  const proto = tf.Tensor.prototype as unknown as Record<'dataSync', (...a: unknown[]) => unknown>;
  const saved = proto.dataSync;
  const watches = { host: new FiniteWatch('host'), device: new FiniteWatch('device') };
  for (const w of Object.values(watches)) w.init();
  t.is(watches.host.form, 'host');
  t.is(watches.device.form, 'device');
  const reports: Record<string, unknown[]> = { host: [], device: [] };
  const start = tf.memory().numTensors;
  for (const [form, w] of Object.entries(watches)) {
    for (let i = 0; i < losses.length; i++) {
      const loss = tf.scalar(losses[i]!);
      let syncReads = 0;
      proto.dataSync = function (this: unknown, ...a: unknown[]) {
        syncReads++;
        return saved.apply(this, a);
      };
      try {
        w.update(loss, i + 1);
      } finally {
        proto.dataSync = saved;
      }
      // The host form stops reading once a loss was bad: the record no longer changes.
      t.is(syncReads, form === 'host' && i < 3 ? 1 : 0, `${form} step ${i + 1}`);
      loss.dispose();
      reports[form]!.push(await w.read());
    }
  }
  t.deepEqual(reports.device, reports.host);
  // Finite, finite, then the first NaN at step 3 is kept whatever follows; the last finite loss before it.
  t.deepEqual(reports.host, [undefined, undefined, ...new Array(3).fill({ badStep: 3, badValue: Number.NaN, lastLoss: 1.25, lastStep: 2 })]);
  watches.device.reset();
  watches.host.reset();
  t.is(await watches.device.read(), undefined);
  t.is(await watches.host.read(), undefined);
  for (const w of Object.values(watches)) w.dispose();
  t.is(tf.memory().numTensors, start - 4, 'the device form held a variable and three constants, freed on dispose');
});
