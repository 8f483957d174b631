import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createTrainer, silentLogger, type GraftPlugin, type TrainerApi } from '../../core/index.ts';
import { EvaluateCallback } from '../../plugins/callbacks/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

// The error contract of evaluate and save: onError runs with phase 'evaluate' / 'save', what a
// plugin swapped in at beforeEval can be swapped back, and the trainer leaks no tensor.

test.before(async () => {
  await tf.setBackend('cpu');
});

const PARAM = 'head.out.kernel';

/**
 * Swaps a parameter for zeros during evaluation (as weight averaging swaps in averaged weights)
 * and swaps it back in afterEval, or in onError when the evaluation failed.
 */
function swapper(log: string[]): GraftPlugin {
  let saved: tf.Tensor | undefined;
  return {
    meta: { name: 'callback:swap', kind: 'callback' },
    apply(tr: TrainerApi) {
      const restore = () => {
        if (!saved) return;
        tr.params.get(PARAM).assign(saved);
        saved.dispose();
        saved = undefined;
        log.push('restored');
      };
      tr.tap('beforeEval', this, () => {
        const v = tr.params.get(PARAM);
        saved = tf.clone(v);
        tf.tidy(() => v.assign(tf.zerosLike(v)));
        log.push('swapped');
      });
      tr.tap('afterEval', this, (m) => (restore(), m));
      tr.tap('onError', this, (ctx) => {
        log.push(`onError ${ctx.phase}`);
        if (ctx.phase === 'evaluate') restore();
      });
    },
  };
}

/** Throws on the n-th call of `hook` (counting from 1). */
function thrower(hook: 'evalBatch' | 'afterEval' | 'beforeEval', n = 1): GraftPlugin {
  let calls = 0;
  return {
    meta: { name: 'callback:thrower', kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap(hook, this, (m: unknown) => {
        if (++calls === n) throw new Error(`boom in ${hook}`);
        return m;
      }, { stage: 'observe' });
    },
  };
}

function trainer(extra: GraftPlugin[]) {
  return createTrainer({ plugins: [...toyPlugins({ batches: 2 }), ...extra], options: { epochs: 1 }, logger: silentLogger() });
}

for (const [hook, n] of [['evalBatch', 2], ['beforeEval', 1], ['afterEval', 1]] as const) {
  test.serial(`an evaluation that throws in ${hook}: onError (phase evaluate) runs, the swap is undone, no tensor leaks`, async (t) => {
    const log: string[] = [];
    // The swapper is applied first: on beforeEval it runs before the thrower, as a real plugin would.
    const tr = trainer([swapper(log), thrower(hook, n)]);
    await tr.setup();
    const before = await tr.params.get(PARAM).data();
    const tensors = tf.memory().numTensors;
    await t.throwsAsync(() => tr.evaluate(), { message: `boom in ${hook}` });
    t.deepEqual(log, hook === 'afterEval' ? ['swapped', 'restored', 'onError evaluate'] : ['swapped', 'onError evaluate', 'restored']);
    t.deepEqual(await tr.params.get(PARAM).data(), before);
    t.is(tf.memory().numTensors, tensors);
    t.deepEqual(tr.state.metrics, {}, 'a failed evaluation records no metrics');
    tr.dispose();
  });
}

test.serial('a later evaluation after a failed one works and leaks nothing', async (t) => {
  const log: string[] = [];
  const tr = trainer([swapper(log), thrower('evalBatch', 1)]);
  await tr.setup();
  await t.throwsAsync(() => tr.evaluate());
  const tensors = tf.memory().numTensors;
  const m = await tr.evaluate();
  t.true(Number.isFinite(m.validation_loss));
  t.is(tf.memory().numTensors, tensors);
  t.deepEqual(log, ['swapped', 'onError evaluate', 'restored', 'swapped', 'restored']);
  tr.dispose();
});

test('an evaluation failing inside fit is reported as evaluate, then as fit; afterRun still runs, afterEpoch does not', async (t) => {
  const log: string[] = [];
  const tail: GraftPlugin = {
    meta: { name: 'callback:tail', kind: 'callback' },
    apply(tr) {
      tr.tap('afterEpoch', this, () => void log.push('afterEpoch'));
      tr.tap('afterRun', this, () => void log.push('afterRun'));
    },
  };
  const tr = trainer([swapper(log), thrower('evalBatch', 1), new EvaluateCallback({ every: 1 }), tail]);
  const kernel = async () => Array.from(await tr.params.get(PARAM).data());
  await t.throwsAsync(() => tr.fit(), { message: 'boom in evalBatch' });
  t.deepEqual(log, ['swapped', 'onError evaluate', 'restored', 'onError fit', 'afterRun']);
  t.true((await kernel()).some((v) => v !== 0), 'the trained weights are back in place');
  tr.dispose();
});

test('a save into an unwritable path runs onError with phase save; afterSave does not run', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graft-save-error-'));
  try {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const log: string[] = [];
    const watcher: GraftPlugin = {
      meta: { name: 'callback:watch', kind: 'callback' },
      apply(tr) {
        tr.tap('beforeSave', this, () => void log.push('beforeSave'));
        tr.tap('afterSave', this, () => void log.push('afterSave'));
        tr.tap('onError', this, (ctx) => void log.push(`onError ${ctx.phase} ${(ctx.error as NodeJS.ErrnoException).code}`));
      },
    };
    const tr = trainer([watcher]);
    await tr.setup();
    const err = (await t.throwsAsync(() => tr.save(path.join(file, 'checkpoint')))) as NodeJS.ErrnoException;
    // A file-system error (EEXIST or ENOTDIR: the parent is a file), coded by the checkpoint writer.
    t.is(String(err.code), 'GRAFT_ERR_IO');
    t.true(err.message.includes(file), `names the path: ${err.message}`);
    t.deepEqual(log, ['beforeSave', `onError save ${err.code}`]);
    tr.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing onError tap is logged and does not replace the error being reported', async (t) => {
  const bad: GraftPlugin = { meta: { name: 'callback:bad', kind: 'callback' }, apply: (tr) => tr.tap('onError', 'callback:bad', () => { throw new Error('cleanup failed'); }) };
  const tr = trainer([thrower('evalBatch', 1), bad]);
  const logged: string[] = [];
  tr.logger.error = ((msg: string) => (logged.push(msg), tr.logger)) as never;
  await tr.setup();
  await t.throwsAsync(() => tr.evaluate(), { message: 'boom in evalBatch' });
  t.true(logged.some((l) => l.includes('cleanup failed') && l.includes('boom in evalBatch')));
  tr.dispose();
});

test('a load that fails runs onError with phase load', async (t) => {
  const log: string[] = [];
  const watcher: GraftPlugin = { meta: { name: 'callback:watch', kind: 'callback' }, apply: (tr) => tr.tap('onError', 'callback:watch', (ctx) => void log.push(ctx.phase)) };
  const tr = trainer([watcher]);
  await tr.setup();
  await t.throwsAsync(() => tr.load(path.join(tmpdir(), 'graft-no-such-checkpoint-' + process.pid)));
  t.deepEqual(log, ['load']);
  tr.dispose();
});
