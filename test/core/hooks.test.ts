import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ErrorCodes, GraftError, createTrainer, silentLogger, type GraftPlugin, type StageName, type TrainerApi } from '../../core/index.ts';
import { toyPlugins } from '../helpers/toy.ts';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** A plugin that records which hooks it saw, in order, into a shared log. */
function recorder(name: string, log: string[], opts: { stage?: 'transform' | 'observe' | 'default'; before?: string } = {}): GraftPlugin {
  return {
    meta: { name: `callback:${name}`, kind: 'callback' },
    apply(t: TrainerApi) {
      for (const hook of ['beforeRun', 'beforeEpoch', 'beforeStep', 'afterStep', 'afterEpoch', 'afterRun'] as const) {
        t.tap(hook, this, () => void log.push(`${hook}:${name}`), opts);
      }
    },
  };
}

function trainer(extra: GraftPlugin[], o: { batches?: number; epochs?: number; maxSteps?: number } = {}) {
  return createTrainer({
    plugins: [...toyPlugins({ batches: o.batches ?? 2 }), ...extra],
    options: { epochs: o.epochs ?? 1, maxSteps: o.maxSteps ?? 0 },
    logger: silentLogger(),
  });
}

test('before-hooks run in application order, after-hooks in reverse', async (t) => {
  const log: string[] = [];
  const tr = trainer([recorder('a', log), recorder('b', log)], { batches: 1 });
  await tr.fit();
  t.deepEqual(log, [
    'beforeRun:a', 'beforeRun:b',
    'beforeEpoch:a', 'beforeEpoch:b',
    'beforeStep:a', 'beforeStep:b',
    'afterStep:b', 'afterStep:a',
    'afterEpoch:b', 'afterEpoch:a',
    'afterRun:b', 'afterRun:a',
  ]);
  tr.dispose();
});

test('named stages order taps on every hook regardless of application order', async (t) => {
  const log: string[] = [];
  const tr = trainer([recorder('late', log, { stage: 'observe' }), recorder('early', log, { stage: 'transform' }), recorder('mid', log)], { batches: 1 });
  await tr.fit();
  t.deepEqual(log.filter((l) => l.startsWith('beforeStep')), ['beforeStep:early', 'beforeStep:mid', 'beforeStep:late']);
  t.deepEqual(log.filter((l) => l.startsWith('afterStep')), ['afterStep:early', 'afterStep:mid', 'afterStep:late']);
  tr.dispose();
});

test('`before` puts a tap ahead of a named plugin on the same stage', async (t) => {
  const log: string[] = [];
  const tr = trainer([recorder('a', log), recorder('b', log, { before: 'callback:a' })], { batches: 1 });
  await tr.fit();
  t.deepEqual(log.filter((l) => l.startsWith('beforeStep')), ['beforeStep:b', 'beforeStep:a']);
  tr.dispose();
});

test('`before` naming a plugin that has not tapped the hook is an error', (t) => {
  const p: GraftPlugin = { meta: { name: 'callback:eager', kind: 'callback' }, apply: (tr) => tr.tap('beforeStep', 'callback:eager', () => {}, { before: 'callback:absent' }) };
  const e = t.throws(() => trainer([p]), { instanceOf: GraftError });
  t.is(e.code, ErrorCodes.MISSING_DEPENDENCY);
  t.regex(e.message, /callback:eager.*before "callback:absent", which has not tapped it/);
});

test('an unknown hook or stage is a coded error naming the plugin', (t) => {
  const badHook: GraftPlugin = { meta: { name: 'callback:bad', kind: 'callback' }, apply: (tr) => tr.tap('beforeStepp' as never, 'callback:bad', () => {}) };
  const e1 = t.throws(() => trainer([badHook]), { instanceOf: GraftError });
  t.is(e1.code, ErrorCodes.UNKNOWN_HOOK);
  t.regex(e1.message, /callback:bad.*beforeStepp.*expected one of .*beforeStep/);
  const badStage: GraftPlugin = {
    meta: { name: 'callback:bad', kind: 'callback' },
    apply: (tr) => tr.tap('beforeStep', 'callback:bad', () => {}, { stage: 'sooner' as never }),
  };
  const e2 = t.throws(() => trainer([badStage]), { instanceOf: GraftError });
  t.is(e2.code, ErrorCodes.UNKNOWN_STAGE);
  t.regex(e2.message, /callback:bad.*"sooner".*expected one of first/);
});

test('onLoss can change the loss and the change is differentiated', async (t) => {
  // An L2 regulariser on one parameter, added in onLoss: its gradient must reach that parameter.
  let seen = 0;
  const reg: GraftPlugin = {
    meta: { name: 'regularizer:l2-test', kind: 'regularizer' },
    apply(tr) {
      tr.tap('onLoss', this, (loss) => tf.add(loss, tf.mul(1000, tf.sum(tf.square(tr.params.read('backbone.proj.bias'))))) as tf.Scalar, { stage: 'transform' });
      tr.tap('afterBackward', this, (grads) => {
        seen = grads['backbone.proj.bias'] ? 1 : 0;
        return grads;
      }, { stage: 'observe' });
    },
  };
  const tr = trainer([reg], { batches: 1 });
  await tr.setup();
  tr.params.get('backbone.proj.bias').assign(tf.fill([8], 0.1));
  await tr.fit();
  t.is(seen, 1);
  // SGD with lr 0.5 on 1000*sum(b^2): grad 200 per entry → the bias moves far from 0.1
  const b = await tr.params.get('backbone.proj.bias').data();
  t.true(Math.abs(b[0]! - 0.1) > 50, `bias ${b[0]}`);
  tr.dispose();
});

test('afterBackward can replace gradients (zeroing freezes a parameter for that step)', async (t) => {
  const zero: GraftPlugin = {
    meta: { name: 'callback:zero-embed', kind: 'callback' },
    apply(tr) {
      tr.tap('afterBackward', this, (grads) => ({ ...grads, 'backbone.embed': tf.zerosLike(grads['backbone.embed']!) }));
    },
  };
  const tr = trainer([zero], { batches: 3 });
  await tr.setup();
  const before = await tr.params.get('backbone.embed').data();
  const kBefore = await tr.params.get('backbone.proj.kernel').data();
  await tr.fit();
  t.deepEqual(await tr.params.get('backbone.embed').data(), before);
  t.notDeepEqual(await tr.params.get('backbone.proj.kernel').data(), kBefore);
  tr.dispose();
});

test('signals: skipBatch skips the update and runs afterCancelStep; stopRun ends after the step; endEpoch ends the epoch', async (t) => {
  const log: string[] = [];
  const ctl: GraftPlugin = {
    meta: { name: 'callback:ctl', kind: 'callback' },
    apply(tr) {
      tr.tap('beforeStep', this, (ctx) => {
        if (ctx.state.epoch === 0 && ctx.state.batchInEpoch === 1) ctx.control.skipBatch('test skip');
      });
      tr.tap('afterStep', this, (ctx) => {
        log.push(`step e${ctx.state.epoch} b${ctx.state.batchInEpoch} s${ctx.state.step}`);
        if (ctx.state.epoch === 1 && ctx.state.batchInEpoch === 2) ctx.control.endEpoch();
        if (ctx.state.epoch === 2 && ctx.state.batchInEpoch === 1) ctx.control.stopRun('test stop');
      });
      tr.tap('afterCancelStep', this, (ctx) => void log.push(`cancel e${ctx.state.epoch} b${ctx.state.batchInEpoch}`));
      tr.tap('afterEpoch', this, (ctx) => void log.push(`end epoch ${ctx.state.epoch}`));
      tr.tap('afterRun', this, (ctx) => void log.push(`run ${ctx.control.stopReason}`));
    },
  };
  const tr = trainer([ctl], { batches: 4, epochs: 5 });
  const res = await tr.fit();
  t.deepEqual(log, [
    'step e0 b1 s1', 'cancel e0 b2', 'step e0 b3 s2', 'step e0 b4 s3', 'end epoch 0',
    'step e1 b1 s4', 'step e1 b2 s5', 'end epoch 1',
    'step e2 b1 s6', 'end epoch 2',
    'run test stop',
  ]);
  t.is(res.stopReason, 'test stop');
  // stopped mid-epoch: the data position stays in epoch 2, after batch 1
  t.is(res.state.epoch, 2);
  t.is(res.state.batchInEpoch, 1);
  tr.dispose();
});

test('shouldStop bails with a reason; maxSteps stops the run', async (t) => {
  const stopper: GraftPlugin = {
    meta: { name: 'callback:stopper', kind: 'callback' },
    apply(tr) {
      tr.tap('shouldStop', this, (ctx) => (ctx.state.step >= 3 ? 'enough' : undefined));
    },
  };
  const a = trainer([stopper], { batches: 10 });
  t.is((await a.fit()).stopReason, 'enough');
  t.is(a.state.step, 3);
  a.dispose();
  const b = trainer([], { batches: 10, epochs: 3, maxSteps: 12 });
  const r = await b.fit();
  t.is(r.stopReason, 'max-steps');
  t.is(r.state.step, 12);
  t.is(r.state.epoch, 1);
  t.is(r.state.batchInEpoch, 2);
  b.dispose();
});

test('onError sees the error and afterRun still runs', async (t) => {
  const log: string[] = [];
  const boom: GraftPlugin = {
    meta: { name: 'callback:boom', kind: 'callback' },
    apply(tr) {
      tr.tap('afterStep', this, (ctx) => {
        if (ctx.state.step === 2) throw new Error('boom');
      });
      tr.tap('onError', this, (ctx) => void log.push(`error ${(ctx.error as Error).message} in ${ctx.phase}`));
      tr.tap('afterRun', this, () => void log.push('afterRun'));
    },
  };
  const tr = trainer([boom], { batches: 5 });
  await t.throwsAsync(() => tr.fit(), { message: 'boom' });
  t.deepEqual(log, ['error boom in fit', 'afterRun']);
  tr.dispose();
});

test('trace records every tap call in order', async (t) => {
  const log: string[] = [];
  const tr = trainer([recorder('a', [])], { batches: 1 });
  const stop = tr.trace(log);
  await tr.fit();
  stop();
  t.deepEqual(log.filter((l) => l.endsWith(':callback:a')), [
    'beforeRun:callback:a', 'beforeEpoch:callback:a', 'beforeStep:callback:a', 'afterStep:callback:a', 'afterEpoch:callback:a', 'afterRun:callback:a',
  ]);
  t.true(log.includes('setup:model:toy'));
  tr.dispose();
});

test('describe lists each hook with its taps in run order and stage', (t) => {
  const tr = trainer([recorder('a', [], { stage: 'observe' }), recorder('b', [])]);
  const d = tr.describe();
  const step = d.find((h) => h.hook === 'beforeStep')!;
  t.deepEqual(step.taps, [{ name: 'callback:b', stage: 'default' }, { name: 'callback:a', stage: 'observe' }]);
  const after = d.find((h) => h.hook === 'afterStep')!;
  t.true(after.reversed);
  // stage order kept (b at default before a at observe)
  t.deepEqual(after.taps.map((x) => x.name), ['callback:b', 'callback:a']);
  const text = tr.describeText();
  t.regex(text, /beforeStep\n {2}default {4}callback:b\n {2}observe {4}callback:a/);
  t.regex(text, /setup\n {2}build {6}model:toy/);
  tr.dispose();
});

test('afterStep fast path: sync and async taps keep their stage order, an async tap is awaited before the next, a tap added later is called', async (t) => {
  const log: string[] = [];
  const tapper = (name: string, stage: StageName, async: boolean): GraftPlugin => ({
    meta: { name: `callback:${name}`, kind: 'callback' },
    apply(tr: TrainerApi) {
      tr.tap('afterStep', this, async
        ? async (ctx) => {
            await new Promise((r) => setTimeout(r, 2));
            log.push(`${name}@${ctx.state.step}`);
          }
        : (ctx) => void log.push(`${name}@${ctx.state.step}`), { stage });
    },
  });
  const late: GraftPlugin = {
    meta: { name: 'callback:late', kind: 'callback' },
    apply(tr: TrainerApi) {
      // Taps afterStep from inside a step: honoured from the next call on.
      tr.tap('beforeStep', this, (ctx) => {
        if (ctx.state.step === 1 && !log.includes('tapped')) {
          log.push('tapped');
          tr.tap('afterStep', this, (c) => void log.push(`late@${c.state.step}`), { stage: 'observe' });
        }
      });
    },
  };
  const tr = createTrainer({
    plugins: [...toyPlugins({ batches: 3 }), tapper('c-sync-observe', 'observe', false), tapper('b-async', 'default', true), tapper('a-sync-first', 'first', false), late],
    options: { epochs: 1 },
    logger: silentLogger(),
  });
  await tr.fit();
  t.deepEqual(log, [
    'a-sync-first@1', 'b-async@1', 'c-sync-observe@1',
    'tapped',
    // afterStep is a closing hook: within a stage, the later tap runs first.
    'a-sync-first@2', 'b-async@2', 'late@2', 'c-sync-observe@2',
    'a-sync-first@3', 'b-async@3', 'late@3', 'c-sync-observe@3',
  ]);
  tr.dispose();
});

test('afterStep fast path: an error from a sync or an async tap fails the run as through tapable', async (t) => {
  for (const async of [false, true]) {
    const boom: GraftPlugin = {
      meta: { name: 'callback:boom', kind: 'callback' },
      apply(tr: TrainerApi) {
        tr.tap('afterStep', this, async
          ? async (ctx) => {
              if (ctx.state.step === 2) throw new Error(`async boom at ${ctx.state.step}`);
            }
          : (ctx) => {
              if (ctx.state.step === 2) throw new Error(`sync boom at ${ctx.state.step}`);
            });
      },
    };
    const tr = createTrainer({ plugins: [...toyPlugins({ batches: 4 }), boom], options: { epochs: 1 }, logger: silentLogger() });
    await t.throwsAsync(tr.fit(), { message: async ? 'async boom at 2' : 'sync boom at 2' });
    t.is(tr.state.step, 2);
    tr.dispose();
  }
});

test('a tap made on the tapable hook itself (tapAsync) still runs, through tapable', async (t) => {
  const log: number[] = [];
  const tr = createTrainer({ plugins: [...toyPlugins({ batches: 2 })], options: { epochs: 1 }, logger: silentLogger() });
  tr.hooks.afterStep.tapAsync('raw', (ctx, done) => void setTimeout(() => (log.push(ctx.state.step), done()), 1));
  await tr.fit();
  t.deepEqual(log, [1, 2]);
  tr.dispose();
});
